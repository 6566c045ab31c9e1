// One request's life on the application side, after wsgiref's BaseHandler: run the application,
// take startResponse, send the head lazily (with the first non-empty chunk, or at the end with a
// known length), frame the body, and close the result exactly once, whatever happened.

import type { Application, Chunk, Environ, HeaderList, ResponseBody, StartResponse, Write } from './types.js';
import { E_INTERNAL, MODE_CHUNKED, MODE_CLOSE, MODE_FIXED, MODE_NONE, ResponseError, type Head } from './core.js';
import type { ErrorLog } from './errors.js';
import { Input, RequestBodyError } from './input.js';
import { BODY_LENGTH } from './filewrapper.js';

/** What a response needs from its connection. */
export interface Channel {
  /** Serializes the head; throws ResponseError for a bad status or header. */
  head(status: string, headers: HeaderList, bodyLength: number): Head;
  errorResponse(code: number): Buffer;
  /** The status the core answers error `code` with. */
  errorStatus(code: number): number;
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
/** The blank line that ends a head (the access log finds a head's end with it too). */
export const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** The body length of one of the server's own answers (head and body in one buffer). */
export function answerBodyLength(answer: Uint8Array): number {
  const end = Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength).indexOf(HEAD_END);
  return end < 0 ? 0 : answer.length - end - HEAD_END.length;
}

function encode(chunk: unknown): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  throw new ApplicationMistake(`response body chunks must be Uint8Array or string, got ${chunk === null ? 'null' : typeof chunk}`);
}

/** `value instanceof type`, false for values whose prototype cannot be read (a hostile Proxy). */
function isA(value: unknown, type: abstract new (...args: never[]) => unknown): boolean {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/** The application broke the contract (as opposed to throwing): logged without our stack. */
export class ApplicationMistake extends Error {
  override name = 'ApplicationMistake';
}

/** `value.then` when value could be a thenable; reading it may throw (a getter). */
function thenOf(value: unknown): unknown {
  return value !== null && (typeof value === 'object' || typeof value === 'function') ? (value as { then?: unknown }).then : undefined;
}

/** A thenable as a Promise, which settles once whatever the thenable does (calls back twice, both, or throws). */
function adopt(value: unknown, then: (...args: never[]) => unknown): Promise<unknown> {
  return new Promise((resolve, reject) => { Reflect.apply(then, value, [resolve, reject]); });
}

/** Settles what a close() or return() gave back, reporting a rejection and nothing else. */
function quietly(value: unknown, onError: (error: unknown) => void): void {
  try {
    const then = thenOf(value);
    if (typeof then !== 'function') return;
    adopt(value, then as (...args: never[]) => unknown).catch(onError);
  } catch (error) {
    onError(error);
  }
}

/** The result when it is an iterator itself (a generator): it has next() and return(). */
function generatorOf(result: unknown): ChunkIterator | null {
  if (result === null || typeof result !== 'object') return null;
  const candidate = result as { next?: unknown; return?: unknown };
  return typeof candidate.next === 'function' && typeof candidate.return === 'function' ? result as ChunkIterator : null;
}

/** What kind of value a result was, for the error message. */
/** The length a body knows before its first chunk (wsgi.file_wrapper over a path), else -1. */
function lengthOf(body: ResponseBody): number {
  const length = (body as { [BODY_LENGTH]?: unknown })[BODY_LENGTH];
  return typeof length === 'number' ? length : -1;
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'undefined (a missing return?)';
  if (value === null) return 'null';
  if (typeof value === 'string') return 'a string (return [text] instead)';
  return typeof value === 'object' ? 'an object that is neither an array nor iterable' : typeof value;
}

/** release() found nothing wrong. */
const OK: unique symbol = Symbol('ok');

/** Chunks a body may yield before the pump lets the event loop have a turn. */
const YIELD_EVERY = 64;

/** Resolves on the event loop's next turn (after I/O), not in this turn's microtasks. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The result has not arrived yet (undefined is a result, a wrong one). */
const NO_RESULT: unique symbol = Symbol('no result');

type ChunkIterator = Iterator<unknown> | AsyncIterator<unknown>;

export class Exchange {
  /** The status sent; 0 until a head was (the access log's account of the response). */
  responseStatus = 0;
  /** The head as sent, null until it was. */
  responseHead: Uint8Array | null = null;
  /** Body bytes sent, framing not counted. */
  bodyBytes = 0;
  private status: string | null = null;
  private headers: HeaderList = [];
  private headersSent = false;
  private mode = 0;
  private declared = -1;
  private sent = 0;
  private mustClose = false;
  private result: unknown = NO_RESULT;
  private resultClosed = false;
  /** The body iterator while it may still yield (return() is owed if it is left early). */
  private iterator: ChunkIterator | null = null;
  /** return() was called (or the iterator had none): never twice. */
  private returned = false;
  /** The response is done with: finished, failed or abandoned. Later calls are no-ops. */
  private settled = false;
  /** The client left before the response was complete. */
  private gone = false;
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
      throw new ApplicationMistake('startResponse() called a second time without excInfo');
    }
    if (typeof status !== 'string') throw new ApplicationMistake(`status must be a string such as "200 OK", got ${typeof status}`);
    if (!/^[1-5][0-9]{2} /.test(status)) throw new ApplicationMistake(`invalid status ${JSON.stringify(status)}: expected a code from 100 to 599, a space and a reason phrase`);
    if (status.charCodeAt(0) === 0x31) throw new ApplicationMistake(`status ${JSON.stringify(status)} is informational (1xx); the application's response must be final (2xx to 5xx)`);
    if (!Array.isArray(headers)) throw new ApplicationMistake(`headers must be an array of [name, value] pairs, got ${headers === null ? 'null' : typeof headers}`);
    this.status = status;
    this.headers = headers;
    return this.write;
  };

  /** The write() callable startResponse returns: sends the head first if needed. */
  private readonly write: Write = (chunk: Chunk): void => {
    if (this.settled) {
      // A late write (from a timer, say) must not throw where nobody catches it.
      if (!this.gone) this.channel.log.error(`${this.describe()}: write() called after the response was finished; ignored`);
      return;
    }
    if (this.status === null) throw new ApplicationMistake('write() called before startResponse()');
    const bytes = encode(chunk);
    if (!this.headersSent) this.sendHead(-1);
    this.sendBody(bytes);
  };

  run(): void {
    let result: unknown;
    let then: unknown;
    try {
      result = this.app(this.environ, this.startResponse);
      then = thenOf(result);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (typeof then !== 'function') {
      this.consume(result);
      return;
    }
    adopt(result, then as (...args: never[]) => unknown).then((body) => this.consume(body), (error: unknown) => this.fail(error));
  }

  /** The client went away (FIN or RST) before the response was complete. */
  clientLeft(): void {
    if (this.settled) return;
    this.settled = true;
    this.gone = true;
    if (this.channel.log.enabled('debug')) this.channel.log.log('debug', `${this.describe()}: the client left before the response was complete`);
    if (!this.input.complete) this.input.fail(new RequestBodyError('the client closed the connection', 0, 400));
    this.releaseQuietly();
    this.channel.abort();
  }

  private consume(result: unknown): void {
    this.result = result;
    if (this.settled) {
      // Abandoned while the application was still working: its result is closed all the same.
      this.releaseQuietly();
      return;
    }
    try {
      if (Array.isArray(result)) {
        this.finishWhole(result as unknown[]);
      } else if (result !== null && typeof result === 'object' &&
        (Symbol.asyncIterator in result || Symbol.iterator in result)) {
        void this.pump(result as ResponseBody);
      } else {
        throw new ApplicationMistake(`the application must return an iterable of chunks (or a Promise of one), got ${kindOf(result)}`);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** A body given whole (an array): its length is known, so the head can carry it. */
  private finishWhole(chunks: unknown[]): void {
    const bodies = chunks.map(encode);
    // Nothing is left to produce: close() now, so that one that fails still gets the client a 500.
    const failure = this.release();
    if (failure !== OK) throw failure;
    if (!this.headersSent) {
      this.requireStatus();
      let total = 0;
      for (const b of bodies) total += b.length;
      this.sendHead(total);
    }
    for (const b of bodies) this.sendBody(b);
    this.end();
  }

  /**
   * Iterates the body, sending chunks as they come; every failure ends in fail(). A body that is
   * always ready (a generator, a resolved Promise) would keep the event loop in microtasks, so the
   * pump gives the loop a turn every YIELD_EVERY chunks.
   */
  private async pump(body: ResponseBody): Promise<void> {
    try {
      const iterator: ChunkIterator = Symbol.asyncIterator in body
        ? (body as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        : (body as Iterable<unknown>)[Symbol.iterator]();
      this.iterator = iterator;
      this.returned = false;
      let sinceTurn = 0;
      while (!this.settled) {
        const step = await iterator.next();
        if (this.settled) return;
        if (step.done) break;
        const bytes = encode(step.value);
        if (++sinceTurn >= YIELD_EVERY) {
          sinceTurn = 0;
          await nextTurn();
          if (this.settled) return;
        }
        if (bytes.length === 0) continue;
        if (!this.headersSent) this.sendHead(lengthOf(body));
        if (!this.sendBody(bytes)) await this.channel.drained();
      }
      this.end();
    } catch (error) {
      this.fail(error);
    }
  }

  private requireStatus(): void {
    if (this.status === null) throw new ApplicationMistake('the application returned without calling startResponse()');
  }

  private sendHead(bodyLength: number): void {
    this.requireStatus();
    if (this.channel.closed) {
      // Nothing reaches a departed client; its connection id may be another client's by now.
      this.headersSent = true;
      this.mode = MODE_NONE;
      return;
    }
    const head = this.channel.head(this.status as string, this.headers, bodyLength);
    this.mode = head.mode;
    this.declared = head.length;
    this.headersSent = true;
    this.responseStatus = Number((this.status as string).slice(0, 3));
    this.responseHead = head.bytes;
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
        this.bodyBytes += b.length;
        return this.channel.send(b);
      case MODE_CHUNKED:
        if (b.length === 0) return true;
        this.bodyBytes += b.length;
        this.channel.send(Buffer.from(`${b.length.toString(16)}\r\n`, 'latin1'));
        this.channel.send(b);
        return this.channel.send(CRLF);
      default: // MODE_CLOSE
        this.bodyBytes += b.length;
        return this.channel.send(b);
    }
  }

  private end(): void {
    if (this.settled) return;
    if (!this.headersSent) {
      this.requireStatus();
      this.sendHead(0);
    }
    // close() and return() before the response is complete: one that fails aborts it.
    const failure = this.release();
    if (failure !== OK) throw failure;
    if (this.mode === MODE_CHUNKED) this.channel.send(LAST_CHUNK);
    else if (this.mode === MODE_CLOSE) this.mustClose = true;
    else if (this.mode === MODE_FIXED && this.sent < this.declared) {
      this.channel.log.error(`${this.describe()}: the response ended after ${this.sent} of its ${this.declared} Content-Length bytes; closing`);
      this.mustClose = true;
    }
    if (this.expectContinue && !this.continueSent && !this.input.complete) this.mustClose = true;
    this.settled = true;
    // (An Error is made only when a read could still be waiting: a stack costs more than the response.)
    if (!this.input.complete) this.input.fail(new RequestBodyError('the response is complete: the rest of the request body was discarded', 0, 400));
    this.channel.finish(this.mustClose);
  }

  private fail(error: unknown): void {
    if (this.settled) {
      if (!this.gone) this.channel.log.error(`${this.describe()}: error after the response was finished`, error);
      this.releaseQuietly();
      return;
    }
    this.settled = true;
    if (!this.input.complete) this.input.fail(new RequestBodyError('the response failed: the rest of the request body was discarded', 0, 500));
    if (this.headersSent || this.channel.closed) {
      if (!this.channel.closed) this.channel.log.error(`${this.describe()}: error after the response started; connection aborted`, error);
      this.releaseQuietly();
      this.channel.abort();
      return;
    }
    let code = E_INTERNAL;
    if (isA(error, RequestBodyError)) {
      const bodyError = error as RequestBodyError;
      code = bodyError.code;
      this.channel.log.log('info', `${this.describe()}: ${bodyError.message}`);
    } else if (isA(error, ResponseError) || isA(error, ApplicationMistake)) {
      this.channel.log.error(`${this.describe()}: invalid response from the application: ${(error as Error).message}`);
    } else {
      this.channel.log.error(`${this.describe()}: application error`, error);
    }
    const answer = this.channel.errorResponse(code);
    this.responseStatus = this.channel.errorStatus(code);
    this.responseHead = answer;
    this.bodyBytes = answerBodyLength(answer);
    this.channel.send(answer);
    this.releaseQuietly();
    this.channel.finish(true);
  }

  /**
   * What the application holds is given back, once: the iterator's return() (a generator's close)
   * and the result's close(). Returns what either threw (OK when nothing did), for the caller to
   * fail with; what a returned Promise rejects with is logged.
   */
  private release(): unknown {
    let failure: unknown = OK;
    try {
      // A generator given back before it was iterated is its own iterator: return() is its close.
      const iterator = this.iterator ?? (this.returned ? null : generatorOf(this.result));
      this.iterator = null;
      if (iterator !== null) {
        this.returned = true;
        const stop = iterator.return;
        if (typeof stop === 'function') quietly(Reflect.apply(stop, iterator, []), (error) => this.failedToRelease('return()', error));
      }
    } catch (error) {
      failure = error;
    }
    const result = this.result;
    if (this.resultClosed || result === NO_RESULT) return failure;
    this.resultClosed = true;
    if (result === null || (typeof result !== 'object' && typeof result !== 'function')) return failure;
    try {
      const close = (result as { close?: unknown }).close;
      if (typeof close === 'function') quietly(Reflect.apply(close, result, []), (error) => this.failedToRelease('close()', error));
    } catch (error) {
      if (failure === OK) failure = error;
    }
    return failure;
  }

  /** Releases for a response already failed or abandoned: a failure of it is only logged. */
  private releaseQuietly(): void {
    const failure = this.release();
    if (failure !== OK) this.failedToRelease('close() or return()', failure);
  }

  private failedToRelease(what: string, error: unknown): void {
    this.channel.log.error(`${this.describe()}: the result's ${what} failed`, error);
  }

  private describe(): string {
    return `${this.environ.REQUEST_METHOD} ${this.environ.RAW_URI}`;
  }
}
