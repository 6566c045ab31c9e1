// wasgi/validate: middleware that checks both sides of the application contract, after Python's
// wsgiref.validate. Wrap an application with validator(app) and serve it: every violation, by the
// application or by the server, throws a ValidationError whose message starts with the party at
// fault ("application:" or "server:"), names the rule and shows the offending value.
//
// What is checked:
// - the server's environ (checkEnviron), and its replies through wsgi.input (InputWrapper);
// - the application's use of startResponse (checkStatus, checkHeaders, checkContentType,
//   checkExcInfo), of write() and of wsgi.input / wsgi.errors (InputWrapper, ErrorWrapper);
// - the application's result (checkResult) and its chunks (ResultWrapper), and that the server
//   closes it exactly once and does not read it after closing it.
//
// Like wsgiref.validate, the wrappers replace environ['wsgi.input'] and environ['wsgi.errors'] in
// place. An array result is handed on as an array (a Proxy), so that a server that frames arrays
// with their exact length still does. A result that is garbage-collected without having been
// closed is reported with process.emitWarning (there is nobody left to throw to).

import { inspect } from 'node:util';
import { BODY_LENGTH } from './filewrapper.js';
import type { Application, Chunk, Environ, ErrorStream, HeaderList, InputStream, ResponseBody, StartResponse, Write } from './types.js';

/** A violation of the application contract, by the application or by the server. */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

function fail(message: string): never {
  throw new ValidationError(message);
}

/** A value as it should appear in a message. */
function show(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`;
  return inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 120 });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function';
}

function isObject(value: unknown): value is Record<PropertyKey, unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

// RFC 9110 token (method, header name).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NON_LATIN1 = /[^\u0000-\u00ff]/;
// Control characters other than HTAB, which header values and reason phrases may not contain.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const DIGITS = /^[0-9]+$/;

// ---------------------------------------------------------------------------------------------
// environ (the server's side)

const REQUIRED_KEYS = [
  'REQUEST_METHOD', 'SERVER_NAME', 'SERVER_PORT', 'SERVER_PROTOCOL',
  'wsgi.version', 'wsgi.url_scheme', 'wsgi.input', 'wsgi.errors',
  'wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once',
];
const BOOLEAN_KEYS = ['wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once'];
const INPUT_METHODS = ['read', 'readline', 'readlines'];
const ERRORS_METHODS = ['write', 'writelines', 'flush'];

/** PEP 3333's environ rules (wsgiref's check_environ, check_input and check_errors). */
export function checkEnviron(environ: unknown): asserts environ is Environ {
  if (!isObject(environ) || Array.isArray(environ) ||
    (Object.getPrototypeOf(environ) !== Object.prototype && Object.getPrototypeOf(environ) !== null)) {
    fail(`server: environ must be a plain object, got ${show(environ)}`);
  }
  for (const key of REQUIRED_KEYS) {
    if (!(key in environ)) fail(`server: environ is missing the required key ${JSON.stringify(key)}`);
  }
  for (const key of ['HTTP_CONTENT_TYPE', 'HTTP_CONTENT_LENGTH']) {
    if (key in environ) fail(`server: environ must not have the key ${key} (use ${key.slice(5)} instead)`);
  }
  // CGI variables (keys without a dot) are strings; extension keys may be anything.
  for (const [key, value] of Object.entries(environ)) {
    if (!key.includes('.') && typeof value !== 'string') {
      fail(`server: environ[${JSON.stringify(key)}] must be a string, got ${show(value)}`);
    }
  }
  const version = environ['wsgi.version'];
  if (!Array.isArray(version) || version.length !== 2 || version[0] !== 1 || version[1] !== 0) {
    fail(`server: environ['wsgi.version'] must be the array [1, 0], got ${show(version)}`);
  }
  const scheme = environ['wsgi.url_scheme'];
  if (scheme !== 'http' && scheme !== 'https') fail(`server: environ['wsgi.url_scheme'] must be 'http' or 'https', got ${show(scheme)}`);
  for (const key of BOOLEAN_KEYS) {
    if (typeof environ[key] !== 'boolean') fail(`server: environ[${JSON.stringify(key)}] must be a boolean, got ${show(environ[key])}`);
  }
  if ('wsgi.input_terminated' in environ && typeof environ['wsgi.input_terminated'] !== 'boolean') {
    fail(`server: environ['wsgi.input_terminated'] must be a boolean, got ${show(environ['wsgi.input_terminated'])}`);
  }
  if ('wsgi.file_wrapper' in environ && typeof environ['wsgi.file_wrapper'] !== 'function') {
    fail(`server: environ['wsgi.file_wrapper'] must be a function, got ${show(environ['wsgi.file_wrapper'])}`);
  }
  checkInput(environ['wsgi.input']);
  checkErrors(environ['wsgi.errors']);

  const method = environ.REQUEST_METHOD as string;
  if (!TOKEN.test(method)) fail(`server: REQUEST_METHOD must be a token, got ${show(method)}`);
  const port = environ.SERVER_PORT as string;
  if (!DIGITS.test(port)) fail(`server: SERVER_PORT must be a port number, got ${show(port)}`);
  const scriptName = environ.SCRIPT_NAME as string | undefined;
  const pathInfo = environ.PATH_INFO as string | undefined;
  if (scriptName && !scriptName.startsWith('/')) fail(`server: SCRIPT_NAME must be empty or start with '/', got ${show(scriptName)}`);
  if (scriptName === '/') fail("server: SCRIPT_NAME cannot be '/'; it should be '' with PATH_INFO '/'");
  if (pathInfo && !pathInfo.startsWith('/')) fail(`server: PATH_INFO must be empty or start with '/', got ${show(pathInfo)}`);
  if (!scriptName && pathInfo === undefined) fail("server: one of SCRIPT_NAME or PATH_INFO is required (PATH_INFO should be at least '/' when SCRIPT_NAME is empty)");
  const contentLength = environ.CONTENT_LENGTH as string | undefined;
  if (contentLength && !DIGITS.test(contentLength)) fail(`server: CONTENT_LENGTH must be empty or a number of bytes, got ${show(contentLength)}`);
}

function checkInput(input: unknown): void {
  if (!isObject(input)) fail(`server: environ['wsgi.input'] must be an object, got ${show(input)}`);
  for (const name of INPUT_METHODS) {
    if (typeof input[name] !== 'function') fail(`server: wsgi.input has no ${name}() method`);
  }
  if (typeof input[Symbol.asyncIterator] !== 'function') fail('server: wsgi.input is not async iterable');
}

function checkErrors(errors: unknown): void {
  if (!isObject(errors)) fail(`server: environ['wsgi.errors'] must be an object, got ${show(errors)}`);
  for (const name of ERRORS_METHODS) {
    if (typeof errors[name] !== 'function') fail(`server: wsgi.errors has no ${name}() method`);
  }
}

// ---------------------------------------------------------------------------------------------
// startResponse (the application's side)

/** The status line's rules; returns the status code. */
export function checkStatus(status: unknown): number {
  if (typeof status !== 'string') fail(`application: status must be a string such as '200 OK', got ${show(status)}`);
  const code = status.slice(0, 3);
  if (!/^[0-9]{3}$/.test(code)) fail(`application: status must start with a three-digit code, got ${show(status)}`);
  if (Number(code) < 100) fail(`application: status code must be at least 100, got ${show(status)}`);
  if (status[3] !== ' ' || status.length < 5) fail(`application: status must be a code, one space and a reason phrase, such as '200 OK', got ${show(status)}`);
  if (CONTROL.test(status) || NON_LATIN1.test(status)) fail(`application: status must be latin-1 without control characters, got ${show(status)}`);
  if (status !== status.trimEnd() || status[4] === ' ' || status[4] === '\t') fail(`application: status must have no surrounding whitespace around its reason phrase, got ${show(status)}`);
  return Number(code);
}

/** Hop-by-hop headers belong to the server (RFC 9110 7.6.1, and wsgiref's list). */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade',
]);

/** The header list's rules: [name, value] string pairs, token names, clean values, no hop-by-hop. */
export function checkHeaders(headers: unknown): asserts headers is HeaderList {
  if (!Array.isArray(headers)) fail(`application: headers must be an array of [name, value] pairs, got ${show(headers)}`);
  for (const item of headers as unknown[]) {
    if (!Array.isArray(item) || item.length !== 2) fail(`application: each header must be a [name, value] pair, got ${show(item)}`);
    const [name, value] = item as unknown[];
    if (typeof name !== 'string') fail(`application: header names must be strings, got ${show(name)}`);
    if (typeof value !== 'string') fail(`application: the value of header ${show(name)} must be a string, got ${show(value)}`);
    if (name.toLowerCase() === 'status') fail(`application: the Status header cannot be used (the status goes in startResponse's first argument), got value ${show(value)}`);
    if (!TOKEN.test(name)) fail(`application: header names must be tokens (no ':', spaces or control characters), got ${show(name)}`);
    if (name.endsWith('-') || name.endsWith('_')) fail(`application: header names may not end in '-' or '_', got ${show(name)}`);
    if (CONTROL.test(value)) fail(`application: the value of header ${show(name)} has a control character (CR, LF, ...): ${show(value)}`);
    if (NON_LATIN1.test(value)) fail(`application: the value of header ${show(name)} must be latin-1: ${show(value)}`);
    const lower = name.toLowerCase();
    if (lower === 'connection') {
      if (value.trim().toLowerCase() !== 'close') fail(`application: Connection is a hop-by-hop header; only 'Connection: close' is allowed, got ${show(value)}`);
    } else if (HOP_BY_HOP.has(lower)) {
      fail(`application: ${name} is a hop-by-hop header, which belongs to the server`);
    }
  }
}

/** No-body statuses must not have a Content-Type; every other status must (wsgiref's check_content_type). */
export function checkContentType(code: number, headers: HeaderList): void {
  const noBody = code === 204 || code === 304;
  const has = headers.some(([name]) => name.toLowerCase() === 'content-type');
  if (has && noBody) fail(`application: a ${code} response has no content, so it must not have a Content-Type header`);
  if (!has && !noBody) fail(`application: no Content-Type header in the headers of a ${code} response: ${show(headers)}`);
}

/** startResponse may be called again only with excInfo (PEP 3333's error-handling rule). */
export function checkExcInfo(excInfo: unknown, calledBefore: boolean): void {
  if (calledBefore && (excInfo === undefined || excInfo === null)) {
    fail('application: startResponse() called a second time without excInfo (pass the caught error as the third argument)');
  }
}

function checkChunk(chunk: unknown, where: string): asserts chunk is Chunk {
  if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
    fail(`application: ${where} must be a Uint8Array or a string, got ${show(chunk)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// One request's state, shared by the wrappers.

class RequestState {
  /** startResponse was called (and accepted). */
  started = false;
  /** A non-empty chunk reached the server, or write() was called: the headers are committed. */
  headersSent = false;
  /** The server closed the result. */
  closed = false;

  constructor(readonly description: string) {}
}

function wrapStartResponse(startResponse: StartResponse, request: RequestState): StartResponse {
  return (...args: unknown[]): Write => {
    if (args.length !== 2 && args.length !== 3) fail(`application: startResponse() takes (status, headers, excInfo?), got ${args.length} arguments`);
    if (request.closed) fail('application: startResponse() called after the response was closed');
    const [status, headers, excInfo] = args;
    const code = checkStatus(status);
    checkHeaders(headers);
    checkContentType(code, headers);
    checkExcInfo(excInfo, request.started);
    const headersWereSent = request.headersSent;
    const write = (startResponse as (...a: unknown[]) => unknown)(...args);
    if (excInfo !== undefined && excInfo !== null && headersWereSent) {
      fail('server: startResponse() with excInfo after the headers were sent must throw (re-raise excInfo), but it returned');
    }
    if (typeof write !== 'function') fail(`server: startResponse() must return a write() callable, got ${show(write)}`);
    request.started = true;
    return wrapWrite(write as Write, request);
  };
}

function wrapWrite(write: Write, request: RequestState): Write {
  return (...args: unknown[]): void => {
    if (args.length !== 1) fail(`application: write() takes one chunk, got ${args.length} arguments`);
    if (request.closed) fail('application: write() called after its response was closed (a write() kept from an earlier startResponse()?)');
    const chunk = args[0];
    checkChunk(chunk, 'the chunk passed to write()');
    request.headersSent = true;
    write(chunk);
  };
}

// ---------------------------------------------------------------------------------------------
// wsgi.input and wsgi.errors

function checkSize(value: unknown, call: string): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
    fail(`application: ${call} takes a non-negative integer or nothing, got ${show(value)}`);
  }
}

/** wsgi.input, checking the application's arguments and the server's replies. */
class InputWrapper implements InputStream {
  private received = 0;

  constructor(private readonly input: InputStream, private readonly contentLength: number | null) {}

  read(...args: [size?: number]): Promise<Uint8Array> {
    if (args.length > 1) fail(`application: wsgi.input.read() takes at most one argument, got ${args.length}`);
    checkSize(args[0], 'wsgi.input.read()');
    const size = args[0];
    return this.reply(this.input.read(...args), 'read()').then((bytes) => {
      this.checkBytes(bytes, 'wsgi.input.read()');
      if (size !== undefined && bytes.length > size) fail(`server: wsgi.input.read(${size}) returned ${bytes.length} bytes`);
      return this.count(bytes);
    });
  }

  readline(...args: [size?: number]): Promise<Uint8Array> {
    if (args.length > 1) fail(`application: wsgi.input.readline() takes at most one argument, got ${args.length}`);
    checkSize(args[0], 'wsgi.input.readline()');
    const size = args[0];
    return this.reply(this.input.readline(...args), 'readline()').then((line) => {
      this.checkLine(line, 'wsgi.input.readline()', true);
      if (size !== undefined && line.length > size) fail(`server: wsgi.input.readline(${size}) returned ${line.length} bytes`);
      return this.count(line);
    });
  }

  readlines(...args: [hint?: number]): Promise<Uint8Array[]> {
    if (args.length > 1) fail(`application: wsgi.input.readlines() takes at most one argument, got ${args.length}`);
    checkSize(args[0], 'wsgi.input.readlines()');
    return this.reply(this.input.readlines(...args), 'readlines()').then((lines) => {
      if (!Array.isArray(lines)) fail(`server: wsgi.input.readlines() must resolve to an array of Uint8Array lines, got ${show(lines)}`);
      for (const line of lines) this.count(this.checkLine(line, 'wsgi.input.readlines()', false));
      return lines;
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const line of this.input) {
      yield this.count(this.checkLine(line, 'iterating wsgi.input', false));
    }
  }

  close(): never {
    fail('application: wsgi.input.close() must not be called (the server owns the input stream)');
  }

  private reply<T>(value: Promise<T>, call: string): Promise<T> {
    if (!isThenable(value)) fail(`server: wsgi.input.${call} must return a Promise, got ${show(value)}`);
    return Promise.resolve(value);
  }

  private checkBytes(bytes: unknown, what: string): asserts bytes is Uint8Array {
    if (!(bytes instanceof Uint8Array)) fail(`server: ${what} must give Uint8Array bytes, got ${show(bytes)}`);
  }

  /** A line: bytes with a LF, if any, only at the end; empty only at the end of input when allowed. */
  private checkLine(line: unknown, what: string, mayBeEmpty: boolean): Uint8Array {
    this.checkBytes(line, what);
    if (!mayBeEmpty && line.length === 0) fail(`server: ${what} gave an empty line`);
    const lf = line.indexOf(10);
    if (lf !== -1 && lf !== line.length - 1) fail(`server: ${what} gave a line with a LF before its end: ${show(Buffer.from(line).toString('latin1'))}`);
    return line;
  }

  /** The server must not give more than CONTENT_LENGTH bytes. */
  private count(bytes: Uint8Array): Uint8Array {
    this.received += bytes.length;
    if (this.contentLength !== null && this.received > this.contentLength) {
      fail(`server: wsgi.input gave ${this.received} bytes, more than CONTENT_LENGTH (${this.contentLength})`);
    }
    return bytes;
  }
}

/** wsgi.errors, checking that the application writes strings. */
class ErrorWrapper implements ErrorStream {
  constructor(private readonly errors: ErrorStream) {}

  write(...args: [text: string]): void {
    if (args.length !== 1) fail(`application: wsgi.errors.write() takes one string, got ${args.length} arguments`);
    if (typeof args[0] !== 'string') fail(`application: wsgi.errors.write() takes a string, got ${show(args[0])}`);
    this.errors.write(args[0]);
  }

  writelines(...args: [lines: Iterable<string>]): void {
    if (args.length !== 1) fail(`application: wsgi.errors.writelines() takes one iterable of strings, got ${args.length} arguments`);
    const lines = args[0];
    if (!isObject(lines) || typeof lines[Symbol.iterator] !== 'function') fail(`application: wsgi.errors.writelines() takes an iterable of strings, got ${show(lines)}`);
    const all = [...lines];
    for (const line of all) {
      if (typeof line !== 'string') fail(`application: wsgi.errors.writelines() takes strings, got ${show(line)}`);
    }
    this.errors.writelines(all);
  }

  flush(...args: []): void {
    if (args.length !== 0) fail(`application: wsgi.errors.flush() takes no arguments, got ${args.length}`);
    this.errors.flush();
  }

  close(): never {
    fail('application: wsgi.errors.close() must not be called (the server owns the error stream)');
  }
}

// ---------------------------------------------------------------------------------------------
// The result

/** What the application returned, before the server sees it (wsgiref's check_iterator and more). */
export function checkResult(result: unknown): asserts result is ResponseBody {
  if (typeof result === 'string' || result instanceof Uint8Array) {
    fail(`application: return an iterable of chunks such as [body], not the body itself: got ${show(result)}`);
  }
  if (result === undefined || result === null) fail(`application: the application must return an iterable of chunks (an empty array at least), got ${show(result)}`);
  if (!isObject(result) || (typeof result[Symbol.iterator] !== 'function' && typeof result[Symbol.asyncIterator] !== 'function')) {
    fail(`application: the application must return an Iterable or AsyncIterable of chunks, got ${show(result)}`);
  }
}

/** Results that were never closed, reported when they are garbage-collected. */
const unclosed = new FinalizationRegistry<RequestState>((request) => {
  if (!request.closed) {
    process.emitWarning(new ValidationError(`server: the result of ${request.description} was garbage-collected without close() having been called`));
  }
});

/**
 * The result as the server sees it: checks each chunk and that startResponse came first, that
 * close() is called once and that nothing is read after it.
 */
class ResultWrapper {
  constructor(protected readonly original: ResponseBody, protected readonly request: RequestState) {
    unclosed.register(this, request, this);
  }

  /** Wraps what the application returned (an array stays an array). */
  static wrap(result: unknown, request: RequestState): ResponseBody {
    checkResult(result);
    if (Array.isArray(result)) return arrayResult(result as unknown[], request);
    if (typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return new AsyncResultWrapper(result, request);
    return new SyncResultWrapper(result, request);
  }

  /** The length the original knows before its first chunk (wsgi.file_wrapper over a path), passed through. */
  get [BODY_LENGTH](): unknown {
    return (this.original as { [BODY_LENGTH]?: unknown })[BODY_LENGTH];
  }

  close(): unknown {
    if (this.request.closed) fail(`server: close() called twice on the result of ${this.request.description}`);
    this.request.closed = true;
    unclosed.unregister(this);
    return typeof this.original.close === 'function' ? this.original.close() : undefined;
  }

  protected checkOpen(): void {
    if (this.request.closed) fail(`server: the result of ${this.request.description} was read after close()`);
  }

  /** One step of the application's iterator, checked. */
  protected checkStep(step: IteratorResult<unknown>): IteratorResult<Chunk> {
    if (!isObject(step)) fail(`application: the result's iterator must return {value, done} objects, got ${show(step)}`);
    if (step.done) {
      if (!this.request.started) fail('application: the body ended but startResponse() was never called');
      return { done: true, value: undefined };
    }
    checkChunk(step.value, 'each chunk of the body');
    if (!this.request.started) fail(`application: the body produced its first chunk (${show(step.value)}) before startResponse() was called`);
    if (step.value.length > 0) this.request.headersSent = true;
    return { done: false, value: step.value };
  }
}

class SyncResultWrapper extends ResultWrapper implements IterableIterator<Chunk> {
  private iterator: Iterator<unknown> | null = null;

  [Symbol.iterator](): this {
    this.checkOpen();
    this.iterator ??= (this.original as Iterable<unknown>)[Symbol.iterator]();
    return this;
  }

  next(): IteratorResult<Chunk> {
    this.checkOpen();
    this.iterator ??= (this.original as Iterable<unknown>)[Symbol.iterator]();
    return this.checkStep(this.iterator.next());
  }

  return(): IteratorResult<Chunk> {
    this.iterator?.return?.();
    return { done: true, value: undefined };
  }
}

class AsyncResultWrapper extends ResultWrapper implements AsyncIterableIterator<Chunk> {
  private iterator: AsyncIterator<unknown> | null = null;
  private pending = false;

  [Symbol.asyncIterator](): this {
    this.checkOpen();
    this.iterator ??= (this.original as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    return this;
  }

  async next(): Promise<IteratorResult<Chunk>> {
    this.checkOpen();
    if (this.pending) fail(`server: next() called on the result of ${this.request.description} while the previous next() was pending`);
    this.iterator ??= (this.original as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    this.pending = true;
    try {
      return this.checkStep(await this.iterator.next());
    } finally {
      this.pending = false;
    }
  }

  async return(): Promise<IteratorResult<Chunk>> {
    await this.iterator?.return?.();
    return { done: true, value: undefined };
  }
}

/**
 * An array result stays an array for the server (which may frame it with its exact length): a
 * Proxy checks each read of it, and gives it a close() that is checked like ResultWrapper's.
 */
function arrayResult(chunks: unknown[], request: RequestState): ResponseBody {
  const wrapper = new ResultWrapper(chunks as ResponseBody, request);
  const close = (): unknown => wrapper.close();
  return new Proxy(chunks, {
    get(target, key, receiver): unknown {
      if (key === 'close') return close;
      if (key === 'length' || (typeof key === 'string' && /^(0|[1-9][0-9]*)$/.test(key))) {
        if (request.closed) fail(`server: the result of ${request.description} was read after close()`);
        if (!request.started) fail('application: the application returned its body before calling startResponse()');
        if (key !== 'length') {
          const chunk: unknown = Reflect.get(target, key);
          if (chunk !== undefined) checkChunk(chunk, 'each chunk of the body');
          if ((chunk as Chunk | undefined)?.length) request.headersSent = true;
          return chunk;
        }
      }
      return Reflect.get(target, key, receiver);
    },
  }) as unknown as ResponseBody;
}

// ---------------------------------------------------------------------------------------------

function contentLengthOf(environ: Environ): number | null {
  const value = environ.CONTENT_LENGTH;
  return value ? Number(value) : null;
}

/** Wraps `app` so that both it and the server that calls it are checked against the contract. */
export function validator(app: Application): Application {
  if (typeof app !== 'function') throw new TypeError(`validator() takes an application function, got ${show(app)}`);
  return function validated(...args: unknown[]): ResponseBody | Promise<ResponseBody> {
    if (args.length !== 2) fail(`server: the application takes two arguments (environ, startResponse), got ${args.length}`);
    const [environ, startResponse] = args;
    checkEnviron(environ);
    if (typeof startResponse !== 'function') fail(`server: startResponse must be a function, got ${show(startResponse)}`);
    const request = new RequestState(`${environ.REQUEST_METHOD} ${environ.SCRIPT_NAME ?? ''}${environ.PATH_INFO ?? ''}`);
    environ['wsgi.input'] = new InputWrapper(environ['wsgi.input'], contentLengthOf(environ));
    environ['wsgi.errors'] = new ErrorWrapper(environ['wsgi.errors']);
    const result: unknown = app(environ, wrapStartResponse(startResponse as StartResponse, request));
    if (isThenable(result)) return Promise.resolve(result).then((body) => ResultWrapper.wrap(body, request));
    return ResultWrapper.wrap(result, request);
  };
}
