// Raw-socket test client and a small, strict HTTP/1.x response parser.
//
// The parser understands the three ways a response body can be delimited (RFC 9112 §6.3):
// Content-Length, chunked transfer coding, and the server closing the connection. It is told
// which requests were HEAD so that their responses are known to carry no body.

import net from 'node:net';

export type Framing = 'length' | 'chunked' | 'close' | 'none';

export class HttpResponse {
  /** 1xx responses that came before this one. */
  informational: HttpResponse[] = [];
  constructor(
    readonly version: string,
    readonly status: number,
    readonly reason: string,
    readonly headers: [string, string][],
    readonly body: Buffer,
    readonly framing: Framing,
    /** False when the connection ended before the body was complete. */
    readonly complete: boolean,
    readonly trailers: [string, string][] = [],
    /** The exact bytes of the head (status line to blank line). */
    readonly rawHead: string = '',
  ) {}

  /** All values of a header (case-insensitive name). */
  headerAll(name: string): string[] {
    const n = name.toLowerCase();
    return this.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
  }

  /** The header's values joined with ", ", or undefined when absent. */
  header(name: string): string | undefined {
    const all = this.headerAll(name);
    return all.length === 0 ? undefined : all.join(', ');
  }

  get text(): string {
    return this.body.toString('utf8');
  }

  /** True when a Connection header lists the token (case-insensitive). */
  connectionHas(token: string): boolean {
    return this.headerAll('connection').some((v) => v.split(',').some((t) => t.trim().toLowerCase() === token));
  }
}

export class ResponseParseError extends Error {}

export interface ParseOptions {
  /** Methods of the requests in order (only HEAD matters); defaults to GET. */
  methods?: string[];
  /** The connection ended: close-delimited bodies are complete, partial ones are reported. */
  closed?: boolean;
  /** Stop after this many final responses. */
  limit?: number;
}

export interface ParseResult {
  /** Final (non-1xx) responses, each with its preceding 1xx responses. */
  responses: HttpResponse[];
  /** Bytes consumed by whole responses. */
  consumed: number;
  /** 1xx responses not yet followed by a final response. */
  pendingInformational: HttpResponse[];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

function parseHead(head: string): { version: string; status: number; reason: string; headers: [string, string][] } {
  const lines = head.split('\r\n');
  const m = /^HTTP\/(\d\.\d) (\d{3}) ([\t -~\x80-\xff]*)$/.exec(lines[0]);
  if (!m) throw new ResponseParseError(`bad status line ${JSON.stringify(lines[0])}`);
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line.includes('\n') || line.includes('\r')) throw new ResponseParseError(`bare CR or LF in ${JSON.stringify(line)}`);
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ResponseParseError(`bad header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new ResponseParseError(`bad header name ${JSON.stringify(name)}`);
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  return { version: m[1], status: Number(m[2]), reason: m[3], headers };
}

/** Decodes a chunked body from `start`; null when more bytes are needed. */
function parseChunked(data: Buffer, start: number): { body: Buffer; trailers: [string, string][]; end: number } | null {
  const parts: Buffer[] = [];
  let p = start;
  for (;;) {
    const lineEnd = data.indexOf(CRLF, p);
    if (lineEnd < 0) return null;
    const line = data.latin1Slice(p, lineEnd);
    const m = /^([0-9A-Fa-f]+)(;.*)?$/.exec(line);
    if (!m) throw new ResponseParseError(`bad chunk size line ${JSON.stringify(line)}`);
    const size = parseInt(m[1], 16);
    p = lineEnd + 2;
    if (size === 0) break;
    if (data.length < p + size + 2) return null;
    parts.push(data.subarray(p, p + size));
    if (data[p + size] !== 13 || data[p + size + 1] !== 10) throw new ResponseParseError('chunk data not followed by CRLF');
    p += size + 2;
  }
  const trailers: [string, string][] = [];
  for (;;) {
    const lineEnd = data.indexOf(CRLF, p);
    if (lineEnd < 0) return null;
    const line = data.latin1Slice(p, lineEnd);
    p = lineEnd + 2;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ResponseParseError(`bad trailer ${JSON.stringify(line)}`);
    trailers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { body: Buffer.concat(parts), trailers, end: p };
}

/** The bytes of a chunked body that did arrive, for a response cut short. */
function partialChunked(data: Buffer, start: number): Buffer {
  const parts: Buffer[] = [];
  let p = start;
  for (;;) {
    const lineEnd = data.indexOf(CRLF, p);
    if (lineEnd < 0) break;
    const size = parseInt(data.latin1Slice(p, lineEnd), 16);
    if (!(size > 0)) break;
    p = lineEnd + 2;
    parts.push(data.subarray(p, Math.min(data.length, p + size)));
    p += size + 2;
    if (p > data.length) break;
  }
  return Buffer.concat(parts);
}

export function parseResponses(data: Buffer, options: ParseOptions = {}): ParseResult {
  const methods = options.methods ?? [];
  const responses: HttpResponse[] = [];
  let pending: HttpResponse[] = [];
  let p = 0;
  let consumed = 0;
  while (p < data.length && responses.length < (options.limit ?? Infinity)) {
    const headEnd = data.indexOf(HEAD_END, p);
    if (headEnd < 0) {
      if (options.closed) throw new ResponseParseError(`connection closed inside a response head: ${JSON.stringify(data.latin1Slice(p, Math.min(data.length, p + 200)))}`);
      break;
    }
    const rawHead = data.latin1Slice(p, headEnd + 4);
    const head = parseHead(data.latin1Slice(p, headEnd));
    const bodyStart = headEnd + 4;
    const method = (methods[responses.length] ?? 'GET').toUpperCase();
    const make = (body: Buffer, framing: Framing, complete: boolean, trailers: [string, string][] = []): HttpResponse =>
      new HttpResponse(head.version, head.status, head.reason, head.headers, body, framing, complete, trailers, rawHead);

    if (head.status < 200) {
      pending.push(make(Buffer.alloc(0), 'none', true));
      p = consumed = bodyStart;
      continue;
    }
    let response: HttpResponse | null = null;
    let next = bodyStart;
    const te = head.headers.filter(([k]) => k.toLowerCase() === 'transfer-encoding').map(([, v]) => v).join(',');
    const cls = head.headers.filter(([k]) => k.toLowerCase() === 'content-length').map(([, v]) => v);
    if (method === 'HEAD' || head.status === 204 || head.status === 304) {
      response = make(Buffer.alloc(0), 'none', true);
    } else if (te !== '') {
      const codings = te.split(',').map((s) => s.trim().toLowerCase());
      if (codings[codings.length - 1] === 'chunked') {
        const r = parseChunked(data, bodyStart);
        if (r) {
          response = make(r.body, 'chunked', true, r.trailers);
          next = r.end;
        } else if (options.closed) {
          response = make(partialChunked(data, bodyStart), 'chunked', false);
          next = data.length;
        }
      } else if (options.closed) {
        response = make(data.subarray(bodyStart), 'close', true);
        next = data.length;
      }
    } else if (cls.length > 0) {
      if (new Set(cls).size !== 1 || !/^\d+$/.test(cls[0])) throw new ResponseParseError(`bad Content-Length ${JSON.stringify(cls)}`);
      const n = Number(cls[0]);
      if (data.length >= bodyStart + n) {
        response = make(data.subarray(bodyStart, bodyStart + n), 'length', true);
        next = bodyStart + n;
      } else if (options.closed) {
        response = make(data.subarray(bodyStart), 'length', false);
        next = data.length;
      }
    } else if (options.closed) {
      response = make(data.subarray(bodyStart), 'close', true);
      next = data.length;
    }
    if (response === null) break;
    response.informational = pending;
    pending = [];
    responses.push(response);
    p = next;
    if (response.complete) consumed = next;
  }
  return { responses, consumed, pendingInformational: pending };
}

/** A port nothing listens on now (on 127.0.0.1), for a child process to bind. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const openClients = new Set<RawClient>();

/** Destroys every RawClient still open (call from afterEach). */
export function destroyClients(): void {
  for (const c of openClients) c.destroy();
  openClients.clear();
}

/** A raw TCP client that records everything the server sends and when it closes. */
export class RawClient {
  data: Buffer = Buffer.alloc(0);
  /** The server ended its side (FIN) or the connection was reset/closed. */
  closed = false;
  /** The connection was reset rather than closed cleanly. */
  reset = false;
  /** Where next() continues parsing. */
  private cursor = 0;
  private methodsSent: string[] = [];
  private methodCursor = 0;
  private waiters = new Set<() => void>();

  private constructor(readonly socket: net.Socket) {
    openClients.add(this);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.wake();
    });
    socket.on('end', () => { this.closed = true; this.wake(); });
    socket.on('close', () => { this.closed = true; openClients.delete(this); this.wake(); });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') this.reset = true;
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, allowHalfOpen: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** The bytes received so far as latin-1 text. */
  get text(): string {
    return this.data.latin1Slice(0, this.data.length);
  }

  /** The local port of this client (the server's REMOTE_PORT). */
  get localPort(): number {
    return this.socket.localPort ?? -1;
  }

  /** Records the methods of requests being sent (HEAD responses have no body). */
  expectMethods(...methods: string[]): void {
    this.methodsSent.push(...methods);
  }

  write(bytes: string | Uint8Array): Promise<void> {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    return new Promise((resolve, reject) => {
      this.socket.write(b, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Sends bytes in pieces of `size`, pausing between them (a number of ms, or one setImmediate). */
  async writeSlowly(bytes: string | Uint8Array, size: number, pause: number | 'immediate' = 'immediate'): Promise<void> {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
    for (let i = 0; i < b.length; i += size) {
      await new Promise<void>((resolve, reject) => {
        this.socket.write(b.subarray(i, i + size), (error) => (error ? reject(error) : resolve()));
      });
      if (pause === 'immediate') await tick();
      else await sleep(pause);
    }
  }

  /** Half-closes our side (sends FIN). */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
    openClients.delete(this);
  }

  /** Resolves once `predicate()` holds; rejects after `timeoutMs` with what arrived so far. */
  waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate()) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; closed=${this.closed}; received ${this.data.length} bytes: ${JSON.stringify(this.text.slice(0, 600))}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits until the server closes the connection. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.closed, timeoutMs, 'the server to close the connection');
  }

  /** True when the connection is still open after `ms` milliseconds. */
  async staysOpen(ms = 150): Promise<boolean> {
    await sleep(ms);
    return !this.closed;
  }

  /** Parses everything received so far (from the start). */
  parseAll(methods?: string[]): ParseResult {
    return parseResponses(this.data, { methods: methods ?? this.methodsSent, closed: this.closed });
  }

  /**
   * Waits for the next `n` final responses after those already returned (or for the server to
   * close) and returns them; fewer when the connection closed first.
   */
  async next(n = 1, options: { methods?: string[]; timeoutMs?: number } = {}): Promise<HttpResponse[]> {
    const methods = options.methods ?? this.methodsSent.slice(this.methodCursor);
    let result: ParseResult = { responses: [], consumed: 0, pendingInformational: [] };
    await this.waitFor(() => {
      result = parseResponses(this.data.subarray(this.cursor), { methods, closed: this.closed });
      return result.responses.filter((r) => r.complete).length >= n || this.closed;
    }, options.timeoutMs ?? 5000, `${n} response(s)`);
    const taken = result.responses.slice(0, n);
    const again = parseResponses(this.data.subarray(this.cursor), { methods, closed: this.closed, limit: n });
    this.cursor += taken.every((r) => r.complete) ? again.consumed : this.data.length - this.cursor;
    if (options.methods === undefined) this.methodCursor += taken.length;
    return taken;
  }
}

export interface ExchangeResult {
  responses: HttpResponse[];
  data: Buffer;
  text: string;
  closed: boolean;
  client: RawClient;
}

/**
 * Connects, sends `bytes`, and collects responses until `responses` final responses were parsed
 * or the server closed the connection. The socket is left open unless the server closed it.
 */
export async function exchange(
  port: number,
  bytes: string | Uint8Array,
  options: { responses?: number; methods?: string[]; timeoutMs?: number; untilClose?: boolean } = {},
): Promise<ExchangeResult> {
  const client = await RawClient.connect(port);
  if (options.methods) client.expectMethods(...options.methods);
  await client.write(bytes);
  const want = options.responses ?? 1;
  if (options.untilClose) await client.waitClosed(options.timeoutMs ?? 5000);
  else {
    await client.waitFor(() => {
      const r = parseResponses(client.data, { methods: options.methods, closed: client.closed });
      return client.closed || r.responses.filter((x) => x.complete).length >= want;
    }, options.timeoutMs ?? 5000, `${want} response(s)`);
  }
  const { responses } = client.parseAll(options.methods);
  return { responses, data: client.data, text: client.text, closed: client.closed, client };
}
