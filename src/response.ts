// One request's life on the application side, after wsgiref's BaseHandler: run the application,
// take startResponse, send the head lazily (with the first non-empty chunk, or at the end with a
// known length), frame the body, and close the result exactly once, whatever happened.

import type { Application, Chunk, Environ, HeaderList, ResponseBody, StartResponse, Write } from './types.js';
import { E_INTERNAL, MODE_CHUNKED, MODE_CLOSE, MODE_FIXED, MODE_NONE, ResponseError, type Head } from './core.js';
import type { ErrorLog } from './errors.js';
import { Input, RequestBodyError } from './input.js';

/** What a response needs from its connection. */
export interface Channel {
  /** Serializes the head; throws ResponseError for a bad status or header. */
  head(status: string, headers: HeaderList, bodyLength: number): Head;
  errorResponse(code: number): Buffer;
  /** Queues bytes; false when the socket asks the writer to wait for drained(). */
  send(bytes: Uint8Array): boolean;
  drained(): Promise<void>;
  sendContinue(): void;
  /** The response is complete; the connection may carry the next request unless mustClose. */
  finish(mustClose: boolean): void;
  /** The response cannot be completed: drop the connection. */
  abort(): void;
  readonly closed: boolean;
  readonly log: ErrorLog;
}

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

function encode(chunk: Chunk): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError(`response body chunks must be Uint8Array or string, got ${chunk === null ? 'null' : typeof chunk}`);
}

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function';
}

export class Exchange {
  private status: string | null = null;
  private headers: HeaderList = [];
  private headersSent = false;
  private mode = 0;
  private declared = -1;
  private sent = 0;
  private mustClose = false;
  private result: ResponseBody | null = null;
  private resultClosed = false;
  private settled = false;
  private continueSent = false;

  constructor(
    private readonly app: Application,
    readonly environ: Environ,
    readonly input: Input,
    private readonly channel: Channel,
    private readonly expectContinue: boolean,
  ) {
    if (expectContinue) {
      input.onFirstRead = () => {
        if (!this.headersSent && !this.input.complete && !this.channel.closed) {
          this.continueSent = true;
          this.channel.sendContinue();
        }
      };
    }
  }

  readonly startResponse: StartResponse = (status: string, headers: HeaderList, excInfo?: unknown): Write => {
    if (excInfo !== undefined && excInfo !== null) {
      if (this.headersSent) throw excInfo;
    } else if (this.status !== null) {
      throw new Error('startResponse() called a second time without excInfo');
    }
    if (typeof status !== 'string') throw new TypeError(`status must be a string such as "200 OK", got ${typeof status}`);
    if (!/^[0-9]{3} /.test(status)) throw new Error(`invalid status ${JSON.stringify(status)}: expected three digits, a space and a reason phrase`);
    if (!Array.isArray(headers)) throw new TypeError(`headers must be an array of [name, value] pairs, got ${typeof headers}`);
    this.status = status;
    this.headers = headers;
    return this.write;
  };

  /** The write() callable startResponse returns: sends the head first if needed. */
  private readonly write: Write = (chunk: Chunk): void => {
    if (this.status === null) throw new Error('write() called before startResponse()');
    if (this.settled) throw new Error('write() called after the response was finished');
    const bytes = encode(chunk);
    if (!this.headersSent) this.sendHead(-1);
    this.sendBody(bytes);
  };

  run(): void {
    let result: ResponseBody | Promise<ResponseBody>;
    try {
      result = this.app(this.environ, this.startResponse);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (isThenable<ResponseBody>(result)) {
      result.then((body) => this.consume(body), (error: unknown) => this.fail(error));
    } else {
      this.consume(result);
    }
  }

  private consume(result: ResponseBody): void {
    this.result = result;
    try {
      if (Array.isArray(result)) {
        this.finishWhole(result as Chunk[]);
      } else if (result !== null && typeof result === 'object' &&
        (Symbol.asyncIterator in result || Symbol.iterator in result)) {
        this.pump(result).catch((error: unknown) => this.fail(error));
      } else {
        throw new TypeError(`the application must return an iterable of chunks, got ${result === null ? 'null' : typeof result}`);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** A body given whole (an array): its length is known, so the head can carry it. */
  private finishWhole(chunks: Chunk[]): void {
    const bodies = chunks.map(encode);
    if (!this.headersSent) {
      this.requireStatus();
      let total = 0;
      for (const b of bodies) total += b.length;
      this.sendHead(total);
    }
    for (const b of bodies) this.sendBody(b);
    this.end();
  }

  private async pump(body: ResponseBody): Promise<void> {
    const iterator: Iterator<Chunk> | AsyncIterator<Chunk> = Symbol.asyncIterator in body
      ? (body as AsyncIterable<Chunk>)[Symbol.asyncIterator]()
      : (body as Iterable<Chunk>)[Symbol.iterator]();
    for (;;) {
      if (this.channel.closed) {
        await iterator.return?.();
        this.abandon();
        return;
      }
      const step = await iterator.next();
      if (step.done) break;
      const bytes = encode(step.value);
      if (bytes.length === 0) continue;
      if (!this.headersSent) this.sendHead(-1);
      if (!this.sendBody(bytes)) await this.channel.drained();
    }
    this.end();
  }

  private requireStatus(): void {
    if (this.status === null) throw new Error('the application returned without calling startResponse()');
  }

  private sendHead(bodyLength: number): void {
    this.requireStatus();
    const head = this.channel.head(this.status as string, this.headers, bodyLength);
    this.mode = head.mode;
    this.declared = head.length;
    this.headersSent = true;
    this.channel.send(head.bytes);
  }

  private sendBody(bytes: Uint8Array): boolean {
    let b = bytes;
    switch (this.mode) {
      case MODE_NONE:
        return true;
      case MODE_FIXED:
        if (this.sent + b.length > this.declared) {
          if (!this.mustClose) this.channel.log.error(`${this.describe()}: the application wrote more than its Content-Length (${this.declared}); extra bytes dropped`);
          this.mustClose = true;
          b = b.subarray(0, Math.max(0, this.declared - this.sent));
        }
        if (b.length === 0) return true;
        this.sent += b.length;
        return this.channel.send(b);
      case MODE_CHUNKED:
        if (b.length === 0) return true;
        this.channel.send(Buffer.from(`${b.length.toString(16)}\r\n`, 'latin1'));
        this.channel.send(b);
        return this.channel.send(CRLF);
      default: // MODE_CLOSE
        return this.channel.send(b);
    }
  }

  private end(): void {
    if (this.settled) return;
    if (!this.headersSent) {
      this.requireStatus();
      this.sendHead(0);
    }
    if (this.mode === MODE_CHUNKED) this.channel.send(LAST_CHUNK);
    else if (this.mode === MODE_CLOSE) this.mustClose = true;
    else if (this.mode === MODE_FIXED && this.sent < this.declared) {
      this.channel.log.error(`${this.describe()}: the response ended after ${this.sent} of its ${this.declared} Content-Length bytes; closing`);
      this.mustClose = true;
    }
    if (this.expectContinue && !this.continueSent && !this.input.complete) this.mustClose = true;
    this.settled = true;
    this.closeResult();
    this.channel.finish(this.mustClose);
  }

  private fail(error: unknown): void {
    if (this.settled) {
      this.channel.log.error(`${this.describe()}: error after the response was finished`, error);
      return;
    }
    this.settled = true;
    if (this.headersSent || this.channel.closed) {
      if (!this.channel.closed) this.channel.log.error(`${this.describe()}: error after the response started; connection aborted`, error);
      this.closeResult();
      this.channel.abort();
      return;
    }
    let code = E_INTERNAL;
    if (error instanceof RequestBodyError) {
      code = error.code;
      this.channel.log.log('info', `${this.describe()}: ${error.message}`);
    } else if (error instanceof ResponseError) {
      this.channel.log.error(`${this.describe()}: invalid response from the application: ${error.message}`);
    } else {
      this.channel.log.error(`${this.describe()}: application error`, error);
    }
    this.channel.send(this.channel.errorResponse(code));
    this.closeResult();
    this.channel.finish(true);
  }

  /** The client went away mid-response. */
  private abandon(): void {
    if (this.settled) return;
    this.settled = true;
    this.closeResult();
    this.channel.abort();
  }

  private closeResult(): void {
    if (this.resultClosed) return;
    this.resultClosed = true;
    const result = this.result;
    if (result === null || typeof result.close !== 'function') return;
    try {
      const r = result.close();
      if (isThenable(r)) r.then(undefined, (error: unknown) => this.channel.log.error(`${this.describe()}: close() failed`, error));
    } catch (error) {
      this.channel.log.error(`${this.describe()}: close() failed`, error);
    }
  }

  private describe(): string {
    return `${this.environ.REQUEST_METHOD} ${this.environ.RAW_URI}`;
  }
}
