// Loads the WebAssembly core and gives it a typed face: views over its memory, the event queue,
// actions, the request record, and the response head serializer. One Core per server.

import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HeaderList } from './types.js';
import { wasiImports } from './wasi-imports.js';
import { wasm, type WasmMemory, type WasmModule } from './wasm.js';
import * as C from './contract.generated.js';

export interface Limits {
  /** Open connections at once (default 10 000). */
  maxConnections: number;
  /** Longest request line in bytes (default 8 KiB; longer: 414). */
  limitRequestLine: number;
  /** Most header fields in a request (default 100; more: 431). */
  limitRequestFields: number;
  /** Longest header field line in bytes (default 8 KiB; longer: 431). */
  limitRequestFieldSize: number;
  /** Largest request head in bytes (default 64 KiB; larger: 431). */
  limitRequestHead: number;
  /** Largest request body in bytes (default 16 MiB; larger: 413). */
  maxBodySize: number;
  /** Milliseconds for a whole request head to arrive (default 10 s; then 408, or a silent close if no byte came). */
  headerTimeout: number;
  /** Milliseconds an idle keep-alive connection is kept (default 5 s). */
  keepAliveTimeout: number;
  /** Milliseconds a request body may stall (default 30 s; then the connection closes). */
  bodyTimeout: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxConnections: C.DEFAULT_MAX_CONNECTIONS,
  limitRequestLine: C.DEFAULT_LIMIT_REQUEST_LINE,
  limitRequestFields: C.DEFAULT_LIMIT_REQUEST_FIELDS,
  limitRequestFieldSize: C.DEFAULT_LIMIT_REQUEST_FIELD_SIZE,
  limitRequestHead: C.DEFAULT_LIMIT_REQUEST_HEAD,
  maxBodySize: C.DEFAULT_MAX_BODY_SIZE,
  headerTimeout: C.DEFAULT_HEADER_TIMEOUT_MS,
  keepAliveTimeout: C.DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  bodyTimeout: C.DEFAULT_BODY_TIMEOUT_MS,
});

// The record's words and flags, the framing modes and the error codes: declared by the core.
export {
  F_HTTP11, F_KEEP_ALIVE, F_EXPECT_CONTINUE, F_PERCENT, F_CHUNKED, F_HAS_BODY, F_HEAD,
  REC_FLAGS, REC_METHOD, REC_TARGET, REC_PATH, REC_QUERY, REC_FIELD_COUNT, REC_CONTENT_LENGTH, REC_HEAD, REC_FIELDS, FIELD_WORDS,
  MODE_FIXED, MODE_CHUNKED, MODE_CLOSE, MODE_NONE, E_INTERNAL, E_SERVICE_UNAVAILABLE,
} from './contract.generated.js';

interface CoreExports {
  memory: WasmMemory;
  /** The reactor's start function (empty today: the core's globals are constants, init lays out memory). */
  _initialize?(): void;
  init(conns: number, line: number, fields: number, fieldSize: number, head: number, body: number): number;
  openConnection(now: number): number;
  connections(): number;
  windows(): number;
  run(events: number, now: number): number;
  carriedEvents(): number;
  setTimeouts(header: number, keepAlive: number, body: number): void;
  setRaw(conn: number): void;
  consumeRaw(conn: number, n: number): number;
  rawReadAddress(conn: number): number;
  rawAvailable(conn: number): number;
  serializeHead(conn: number, fields: number, bodyLength: number, now: number): number;
  serializeErrorResponse(conn: number, code: number, now: number): number;
  lastResponseMode(): number;
  lastResponseLength(): number;
  decodePath(conn: number): number;
  eventsAddress(): number;
  eventCapacity(): number;
  actionsAddress(): number;
  scratchInAddress(): number;
  scratchOutAddress(): number;
  responseTextAddress(): number;
  responseTextSize(): number;
  recordAddress(conn: number): number;
  windowAddress(conn: number): number;
  landingAddress(): number;
  slotWindow(slot: number): number;
  windowSize(): number;
  fieldNameCount(): number;
  errorCount(): number;
  errorStatus(code: number): number;
  fieldName(id: number): number;
  errorText(code: number): number;
}

let compiled: WasmModule | undefined;

/** The core binary: build/wasgi.wasm at the package root (from src/ or dist/src/). */
export function coreModule(): WasmModule {
  if (compiled) return compiled;
  const candidates = ['../build/wasgi.wasm', '../../build/wasgi.wasm'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const path = candidates.find((p) => existsSync(p));
  if (!path) throw new Error(`wasgi: core binary not found (looked for ${candidates.join(', ')}); run "npm run build"`);
  compiled = new wasm.Module(readFileSync(path));
  return compiled;
}

/** An error the application's response caused (bad status or header). */
export class ResponseError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'ResponseError';
  }
}

const NON_LATIN1 = /[^\u0000-\u00ff]/;

export interface Head {
  bytes: Buffer;
  mode: number;
  /** The body length the head announces, or -1. */
  length: number;
}

export class Core {
  readonly limits: Limits;
  readonly windowSize: number;
  readonly eventCapacity: number;
  /** Lowercase field names by interned id. */
  readonly fieldNames: string[] = [];
  /** Reason text by error code. */
  readonly errorReasons: string[] = [];
  readonly errorStatuses: number[] = [];
  readonly EV_READ: number; readonly EV_EOF: number; readonly EV_DONE: number; readonly EV_CLOSED: number;
  readonly EV_TICK: number; readonly EV_DRAIN: number;
  readonly ACT_CALL_APP: number; readonly ACT_BODY: number; readonly ACT_BODY_END: number;
  readonly ACT_ERROR: number; readonly ACT_CLOSE: number; readonly ACT_REARM: number;
  readonly ACT_READABLE: number; readonly ACT_RELEASE: number;

  private readonly x: CoreExports;
  /** The core's memory. It is laid out once in init() and never grows after, so views stay valid. */
  readonly memory: ArrayBuffer;
  readonly bytes: Buffer;
  readonly words: Uint32Array;
  /** Where connections without a window read (all of them share it; each read is copied out at once). */
  readonly landing: number;
  readonly landingBuffer: Uint8Array;
  private readonly events: number;
  private readonly actions: number;
  private readonly scratchIn: number;
  private readonly scratchOut: number;
  private readonly text: number;
  private readonly textSize: number;
  eventCount = 0;
  private readonly lastHead = new LastHead();

  /** `module` is build/wasgi.wasm unless given (the benchmarks load variants of the core). */
  constructor(limits: Partial<Limits> = {}, module: WasmModule = coreModule()) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    // The core imports only wasi_snapshot_preview1 (an abort throws a CoreExit; see wasi-imports.ts).
    const instance = new wasm.Instance(module, wasiImports(() => this.x.memory));
    this.x = instance.exports as unknown as CoreExports;
    this.x._initialize?.();
    const l = this.limits;
    if (!this.x.init(l.maxConnections, l.limitRequestLine, l.limitRequestFields, l.limitRequestFieldSize, l.limitRequestHead, l.maxBodySize)) {
      throw new RangeError('wasgi: limits out of range or too large for the core\'s memory');
    }
    for (const name of ['headerTimeout', 'keepAliveTimeout', 'bodyTimeout'] as const) {
      if (!(l[name] > 0)) throw new RangeError(`wasgi: ${name} must be a positive number of milliseconds, got ${l[name]}`);
    }
    this.x.setTimeouts(l.headerTimeout, l.keepAliveTimeout, l.bodyTimeout);
    this.memory = this.x.memory.buffer;
    this.bytes = Buffer.from(this.memory);
    this.words = new Uint32Array(this.memory);
    this.landing = this.x.landingAddress();
    this.landingBuffer = new Uint8Array(this.memory, this.landing, this.x.windowSize());
    this.windowSize = this.x.windowSize();
    this.eventCapacity = this.x.eventCapacity();
    this.events = this.x.eventsAddress() >>> 2;
    this.actions = this.x.actionsAddress() >>> 2;
    this.scratchIn = this.x.scratchInAddress();
    this.scratchOut = this.x.scratchOutAddress();
    this.text = this.x.responseTextAddress();
    this.textSize = this.x.responseTextSize();
    this.EV_READ = C.EV_READ; this.EV_EOF = C.EV_EOF;
    this.EV_DONE = C.EV_DONE; this.EV_CLOSED = C.EV_CLOSED;
    this.EV_TICK = C.EV_TICK; this.EV_DRAIN = C.EV_DRAIN;
    this.ACT_CALL_APP = C.ACT_CALL_APP; this.ACT_BODY = C.ACT_BODY;
    this.ACT_BODY_END = C.ACT_BODY_END; this.ACT_ERROR = C.ACT_ERROR;
    this.ACT_CLOSE = C.ACT_CLOSE; this.ACT_REARM = C.ACT_REARM;
    this.ACT_READABLE = C.ACT_READABLE; this.ACT_RELEASE = C.ACT_RELEASE;
    for (let id = 0; id < this.x.fieldNameCount(); id++) this.fieldNames.push(this.scratchText(this.x.fieldName(id)));
    for (let code = 0; code < this.x.errorCount(); code++) {
      this.errorReasons.push(this.scratchText(this.x.errorText(code)));
      this.errorStatuses.push(this.x.errorStatus(code));
    }
  }

  private scratchText(length: number): string {
    return this.bytes.latin1Slice(this.scratchOut, this.scratchOut + length);
  }

  latin1(address: number, length: number): string {
    return this.bytes.latin1Slice(address, address + length);
  }

  openConnection(): number {
    return this.x.openConnection(performance.now());
  }

  get openConnections(): number {
    return this.x.connections();
  }

  /** Connections holding a window of the pool: those with bytes to parse or a request in progress. */
  get heldWindows(): number {
    return this.x.windows();
  }

  /** Makes a just-opened connection a plain byte stream: no HTTP, READABLE actions instead. */
  setRaw(conn: number): void {
    this.x.setRaw(conn);
  }

  /** Unconsumed bytes of a raw connection. */
  rawAvailable(conn: number): number {
    return this.x.rawAvailable(conn);
  }

  /** Copies up to `n` unconsumed bytes of a raw connection out and consumes them. */
  takeRaw(conn: number, n: number): { bytes: Buffer; rearmAt: number } {
    const k = Math.max(0, Math.min(n, this.x.rawAvailable(conn)));
    const at = this.x.rawReadAddress(conn);
    const bytes = Buffer.allocUnsafe(k);
    this.bytes.copy(bytes, 0, at, at + k);
    return { bytes, rearmAt: this.x.consumeRaw(conn, k) };
  }

  /** The connection's window, taken from the pool if it has none. */
  windowAddress(conn: number): number {
    return this.x.windowAddress(conn);
  }

  /** The window of pool slot `slot`. */
  slotWindow(slot: number): number {
    return this.x.slotWindow(slot);
  }

  recordWord(conn: number): number {
    return this.x.recordAddress(conn) >>> 2;
  }

  /** Queues an event; returns its index in this batch. The caller runs before the queue is full. */
  push(type: number, conn: number, arg: number): number {
    const i = this.eventCount++;
    const w = this.events + i * C.EVENT_WORDS;
    this.words[w] = type;
    this.words[w + 1] = conn;
    this.words[w + 2] = arg;
    return i;
  }

  /** Rewrites the argument of an event queued in this batch (coalesced reads). */
  setEventArg(index: number, arg: number): void {
    this.words[this.events + index * C.EVENT_WORDS + 2] = arg;
  }

  /**
   * Hands every queued event to the core; returns how many actions it wrote. The core may queue
   * events for its own next run (a full window it could not compact yet): run while eventCount > 0.
   * `now` is the monotonic clock in ms; events handled together may share one reading.
   */
  run(now = performance.now()): number {
    const actions = this.x.run(this.eventCount, now);
    this.eventCount = this.x.carriedEvents();
    return actions;
  }

  actionWord(index: number, word: number): number {
    return this.words[this.actions + index * C.ACTION_WORDS + word];
  }

  decodePath(conn: number): string {
    return this.scratchText(this.x.decodePath(conn));
  }

  /** Validates and serializes a response head; throws ResponseError for a bad status or header. */
  serializeHead(conn: number, status: string, headers: HeaderList, bodyLength: number, now: number): Head {
    // Applications mostly answer with the same status and headers: those strings are still in
    // scratchIn from the last head, so only a changed head is written again.
    if (!this.lastHead.matches(status, headers)) this.writeHeadText(status, headers);
    const length = this.x.serializeHead(conn, headers.length, bodyLength, now);
    if (length < 0) {
      const code = -length;
      throw new ResponseError(code, `${this.errorReasons[code]}: status ${JSON.stringify(status)}, headers ${JSON.stringify(headers)}`);
    }
    return { bytes: this.copyOut(length), mode: this.x.lastResponseMode(), length: this.x.lastResponseLength() };
  }

  /** Puts the status and header strings in scratchIn: an index of spans, then latin-1 text. */
  private writeHeadText(status: string, headers: HeaderList): void {
    this.lastHead.forget();
    const index = this.scratchIn >>> 2;
    const words = this.words;
    let offset = 0;
    const put = (s: string, what: string): number => {
      if (typeof s !== 'string') throw new ResponseError(0, `${what} must be a string, got ${typeof s}`);
      if (NON_LATIN1.test(s)) throw new ResponseError(0, `${what} is not latin-1: ${JSON.stringify(s)}`);
      if (offset + s.length > this.textSize) throw new ResponseError(0, 'Response head too large');
      const at = offset;
      this.bytes.latin1Write(s, this.text + offset, s.length);
      offset += s.length;
      return at;
    };
    words[index] = put(status, 'status');
    words[index + 1] = status.length;
    if (headers.length > C.MAX_RESPONSE_FIELDS) throw new ResponseError(0, 'Too many response header fields');
    for (let i = 0; i < headers.length; i++) {
      const field = headers[i];
      if (!Array.isArray(field) || field.length !== 2) throw new ResponseError(0, `header ${i} must be a [name, value] pair`);
      const w = index + C.HEAD_INDEX_FIELDS + i * C.HEAD_INDEX_FIELD_WORDS;
      words[w] = put(field[0], `header name ${i}`);
      words[w + 1] = field[0].length;
      words[w + 2] = put(field[1], `value of header ${JSON.stringify(field[0])}`);
      words[w + 3] = field[1].length;
    }
    this.lastHead.remember(status, headers);
  }

  /** A complete error response for `code` (closes the connection). */
  errorResponse(conn: number, code: number, now: number): Buffer {
    return this.copyOut(this.x.serializeErrorResponse(conn, code, now));
  }

  private copyOut(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    this.bytes.copy(out, 0, this.scratchOut, this.scratchOut + length);
    return out;
  }
}

/** The strings of the last head written to scratchIn, to recognise a head that is the same again. */
class LastHead {
  private status: string | null = null;
  private strings: string[] = [];

  matches(status: string, headers: HeaderList): boolean {
    if (status !== this.status || headers.length * 2 !== this.strings.length) return false;
    const strings = this.strings;
    for (let i = 0; i < headers.length; i++) {
      const field = headers[i];
      // Equal strings only: anything else (a non-array, a number) takes the validating path.
      if (!Array.isArray(field) || field.length !== 2 || field[0] !== strings[2 * i] || field[1] !== strings[2 * i + 1]) return false;
    }
    return true;
  }

  remember(status: string, headers: HeaderList): void {
    this.status = status;
    this.strings = headers.flat();
  }

  forget(): void {
    this.status = null;
    this.strings = [];
  }
}

declare global {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    latin1Write(s: string, offset: number, length: number): number;
  }
}
