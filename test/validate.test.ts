// wasgi/validate: real applications under validator(app) on a real wasgi server, and the environ
// and server-side checks through direct calls with hand-built environs (made of wasgi's own Input
// and ErrorLog, so nothing is faked).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { makeServer, type Application, type Chunk, type Environ, type StartResponse, type Write } from '../index.js';
import { ErrorLog } from '../src/errors.js';
import { Input } from '../src/input.js';
import { checkContentType, checkHeaders, checkStatus, ValidationError, validator } from '../src/validate.js';

// ---------------------------------------------------------------------------------------------
// Helpers

interface Answer {
  status: number;
  headers: Headers;
  body: string;
  /** Everything the server wrote to its error log. */
  log: string;
}

/** Serves validator(app) on a fresh server, makes one request with fetch, shuts the server down. */
async function request(app: Application, init: RequestInit & { path?: string } = {}): Promise<Answer> {
  const logs: string[] = [];
  const server = await makeServer('127.0.0.1', 0, validator(app), { errorLog: (text: string) => { logs.push(text); } });
  try {
    const [host, port] = server.serverAddress;
    const response = await fetch(`http://${host}:${port}${init.path ?? '/'}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    return { status: response.status, headers: response.headers, body, log: logs.join('') };
  } finally {
    await server.shutdown();
  }
}

/** Expects a 500 from the server with the validator's message in the error log. */
async function expectViolation(app: Application, message: string | RegExp, init?: RequestInit & { path?: string }): Promise<string> {
  const answer = await request(app, init);
  expect(answer.status).toBe(500);
  expect(answer.log).toContain('ValidationError');
  if (typeof message === 'string') expect(answer.log).toContain(message);
  else expect(answer.log).toMatch(message);
  return answer.log;
}

/** Expects a valid exchange: the status, and nothing from the validator in the log. */
async function expectValid(app: Application, status: number, init?: RequestInit & { path?: string }): Promise<Answer> {
  const answer = await request(app, init);
  expect(answer.log).not.toContain('ValidationError');
  expect(answer.status).toBe(status);
  return answer;
}

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

/** A minimal valid environ, with wasgi's own input stream (holding `body`) and error stream. */
function makeEnviron(overrides: Record<string, unknown> = {}, body = ''): Record<string, unknown> {
  const input = new Input();
  if (body) input.push(Buffer.from(body));
  input.end();
  const environ: Record<string, unknown> = {
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '',
    PATH_INFO: '/',
    QUERY_STRING: '',
    SERVER_NAME: 'localhost',
    SERVER_PORT: '8000',
    SERVER_PROTOCOL: 'HTTP/1.1',
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': 'http',
    'wsgi.input': input,
    'wsgi.errors': new ErrorLog(() => {}).stream,
    'wsgi.multithread': false,
    'wsgi.multiprocess': false,
    'wsgi.run_once': false,
    ...overrides,
  };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete environ[key];
  return environ;
}

/** A server-side startResponse that records its calls and returns a write() that records chunks. */
function recordingStartResponse(): { startResponse: StartResponse; calls: unknown[][]; written: Chunk[] } {
  const calls: unknown[][] = [];
  const written: Chunk[] = [];
  const startResponse = ((...args: unknown[]) => {
    calls.push(args);
    return (chunk: Chunk) => { written.push(chunk); };
  }) as StartResponse;
  return { startResponse, calls, written };
}

/** Results of direct calls, closed after each test as a server would (unless the test did). */
const opened: ReturnType<Application>[] = [];

afterEach(async () => {
  for (const result of opened.splice(0)) {
    try {
      (await result).close?.();
    } catch { /* closed by the test already, or never produced */ }
  }
});

/** Calls validator(app) the way a server would, with a hand-built environ. */
function callDirect(app: Application, environ: unknown, startResponse: StartResponse = recordingStartResponse().startResponse) {
  const result = (validator(app) as (e: unknown, s: StartResponse) => ReturnType<Application>)(environ, startResponse);
  if (result instanceof Promise) result.catch(() => {});
  opened.push(result);
  return result;
}

const okApp: Application = (_environ, startResponse) => {
  startResponse('200 OK', TEXT);
  return ['ok'];
};

async function drain(result: ReturnType<Application>): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for await (const chunk of (await result) as AsyncIterable<Chunk>) out.push(chunk);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Valid applications on a real server

describe('valid applications pass', () => {
  it('an array, keeping its exact Content-Length framing', async () => {
    const answer = await expectValid((_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return ['hello ', new TextEncoder().encode('world')];
    }, 200);
    expect(answer.body).toBe('hello world');
    expect(answer.headers.get('content-length')).toBe('11');
  });

  it('a generator that calls startResponse lazily, before its first chunk', async () => {
    const answer = await expectValid((_e, startResponse) => (function* () {
      startResponse('200 OK', TEXT);
      yield '';
      yield 'a';
      yield Buffer.from('b');
    })(), 200);
    expect(answer.body).toBe('ab');
  });

  it('an async generator', async () => {
    const answer = await expectValid((_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return (async function* () {
        yield 'one,';
        await new Promise((r) => setTimeout(r, 5));
        yield 'two';
      })();
    }, 200);
    expect(answer.body).toBe('one,two');
  });

  it('a Promise of a body (async application)', async () => {
    const answer = await expectValid(async (_e, startResponse) => {
      await new Promise((r) => setTimeout(r, 5));
      startResponse('200 OK', TEXT);
      return ['later'];
    }, 200);
    expect(answer.body).toBe('later');
  });

  it('write() of strings and bytes, then an empty result', async () => {
    const answer = await expectValid((_e, startResponse) => {
      const write = startResponse('200 OK', TEXT);
      write('a');
      write(new Uint8Array([0x62]));
      return [];
    }, 200);
    expect(answer.body).toBe('ab');
  });

  it('reading wsgi.input with read(n), readline(), readlines() and read()', async () => {
    const answer = await expectValid(async (environ, startResponse) => {
      const input = environ['wsgi.input'];
      const first = await input.read(3);
      const line = await input.readline();
      const lines = await input.readlines(1);
      const rest = await input.read();
      startResponse('200 OK', TEXT);
      return [JSON.stringify([first, line, ...lines, rest].map((b) => Buffer.from(b).toString()))];
    }, 200, { method: 'POST', body: 'abcdef\nline2\nline3\n' });
    expect(JSON.parse(answer.body)).toEqual(['abc', 'def\n', 'line2\n', 'line3\n']);
  });

  it('reading wsgi.input line by line with for await', async () => {
    const answer = await expectValid(async (environ, startResponse) => {
      const lines: string[] = [];
      for await (const line of environ['wsgi.input']) lines.push(Buffer.from(line).toString());
      startResponse('200 OK', TEXT);
      return [JSON.stringify(lines)];
    }, 200, { method: 'POST', body: 'a\nb\nc' });
    expect(JSON.parse(answer.body)).toEqual(['a\n', 'b\n', 'c']);
  });

  it('startResponse again with excInfo before the headers were sent', async () => {
    const answer = await expectValid((_e, startResponse) => {
      startResponse('200 OK', TEXT);
      try {
        throw new Error('database is down');
      } catch (error) {
        startResponse('503 Service Unavailable', TEXT, error);
        return ['try later'];
      }
    }, 503);
    expect(answer.body).toBe('try later');
  });

  it('startResponse with excInfo after the headers were sent: the server rethrows, as it must', async () => {
    const logs: string[] = [];
    const app: Application = (_e, startResponse) => (function* () {
      startResponse('200 OK', TEXT);
      yield 'partial';
      startResponse('500 Internal Server Error', TEXT, new Error('too late'));
      yield 'never';
    })();
    const server = await makeServer('127.0.0.1', 0, validator(app), { errorLog: (t: string) => { logs.push(t); } });
    try {
      // The connection is aborted (wasgi drops the corked head with it).
      const exchange = fetch(`http://127.0.0.1:${server.serverAddress[1]}/`).then((response) => response.text());
      await expect(exchange).rejects.toThrow();
    } finally {
      await server.shutdown();
    }
    const log = logs.join('');
    expect(log).toContain('too late');
    expect(log).not.toContain('ValidationError');
  });

  it('a result with close(): the server closes it exactly once', async () => {
    let closes = 0;
    const answer = await expectValid((_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return { *[Symbol.iterator]() { yield 'body'; }, close() { closes++; } };
    }, 200);
    expect(answer.body).toBe('body');
    expect(closes).toBe(1);
  });

  it('an array with close()', async () => {
    let closes = 0;
    await expectValid((_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return Object.assign(['x'], { close: () => { closes++; } });
    }, 200);
    expect(closes).toBe(1);
  });

  it('204 without Content-Type, and Connection: close', async () => {
    await expectValid((_e, startResponse) => { startResponse('204 No Content', []); return []; }, 204);
    const answer = await expectValid((_e, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain'], ['Connection', 'close']]);
      return ['bye'];
    }, 200);
    expect(answer.headers.get('connection')).toBe('close');
  });

  it('304 without Content-Type passes the validator', async () => {
    expect(await drain(callDirect((_e, startResponse) => { startResponse('304 Not Modified', [['ETag', '"x"']]); return []; }, makeEnviron()))).toEqual([]);
  });

  it('304 on a real server', async () => {
    await expectValid((_e, startResponse) => { startResponse('304 Not Modified', [['ETag', '"x"']]); return []; }, 304);
  });

  it('wsgi.errors write, writelines and flush with strings', async () => {
    const answer = await expectValid((environ, startResponse) => {
      const errors = environ['wsgi.errors'];
      errors.write('note one\n');
      errors.writelines(['note two\n', 'note three\n']);
      errors.flush();
      startResponse('200 OK', TEXT);
      return ['ok'];
    }, 200);
    expect(answer.log).toContain('note one\nnote two\nnote three\n');
  });

  it('a HEAD request and a query string', async () => {
    await expectValid((environ, startResponse) => {
      startResponse('200 OK', TEXT);
      return [environ.QUERY_STRING];
    }, 200, { method: 'HEAD', path: '/x?a=1' });
  });
});

// ---------------------------------------------------------------------------------------------
// Application violations on a real server: a 500, and the reason in the error log

describe('application violations are a 500 with the reason logged', () => {
  it.each([
    ['200', 'a code, one space and a reason phrase'],
    ['200 ', 'a code, one space and a reason phrase'],
    ['OK 200', 'three-digit code'],
    ['20 OK', 'three-digit code'],
    ['099 Low', 'at least 100'],
    ['200 OK\r\nX-Evil: 1', 'control characters'],
    ['200  OK', 'surrounding whitespace'],
  ])('bad status %j', async (status, message) => {
    await expectViolation((_e, startResponse) => { startResponse(status, TEXT); return ['x']; }, message);
  });

  it('a status that is not a string', async () => {
    await expectViolation((_e, startResponse) => {
      (startResponse as (...a: unknown[]) => Write)(200, TEXT);
      return ['x'];
    }, 'status must be a string');
  });

  it.each([
    ['a string instead of a pair', ['Content-Type: text/plain'], 'must be a [name, value] pair'],
    ['a triple', [['Content-Type', 'text/plain', 'extra']], 'must be a [name, value] pair'],
    ['a number value', [['Content-Type', 'text/plain'], ['Content-Length', 5]], 'must be a string, got 5'],
    ['an object instead of an array', { 'Content-Type': 'text/plain' }, 'headers must be an array'],
    ['a name with a colon', [['Content-Type:', 'text/plain']], 'must be tokens'],
    ['a name ending in -', [['Content-Type', 'text/plain'], ['X-Foo-', '1']], "may not end in '-' or '_'"],
    ['a Status header', [['Content-Type', 'text/plain'], ['Status', '200']], 'Status header cannot be used'],
    ['a value with CR LF', [['Content-Type', 'text/plain'], ['X-A', 'a\r\nX-B: b']], 'control character'],
  ])('bad headers: %s', async (_name, headers, message) => {
    await expectViolation((_e, startResponse) => {
      (startResponse as (...a: unknown[]) => Write)('200 OK', headers);
      return ['x'];
    }, message);
  });

  it.each([
    ['Transfer-Encoding', 'chunked'],
    ['Keep-Alive', 'timeout=5'],
    ['Upgrade', 'websocket'],
    ['TE', 'trailers'],
    ['Proxy-Authenticate', 'Basic'],
    ['Connection', 'keep-alive'],
  ])('hop-by-hop header %s', async (name, value) => {
    await expectViolation((_e, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain'], [name, value]]);
      return ['x'];
    }, 'hop-by-hop');
  });

  it('a missing Content-Type', async () => {
    await expectViolation((_e, startResponse) => { startResponse('200 OK', [['X-A', '1']]); return ['x']; }, 'no Content-Type header');
  });

  it('a Content-Type on a 204', async () => {
    await expectViolation((_e, startResponse) => { startResponse('204 No Content', TEXT); return []; }, 'must not have a Content-Type');
  });

  it('returning a string instead of [string]', async () => {
    await expectViolation((_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return 'hello' as unknown as string[];
    }, "not the body itself: got 'hello'");
  });

  it('returning bytes instead of [bytes]', async () => {
    await expectViolation((_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return new Uint8Array(3) as unknown as Chunk[];
    }, 'not the body itself: got Uint8Array(3)');
  });

  it('returning nothing, or something not iterable', async () => {
    await expectViolation((_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return undefined as unknown as Chunk[];
    }, 'an empty array at least');
    await expectViolation(async (_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return { body: 'x' } as unknown as Chunk[];
    }, 'Iterable or AsyncIterable');
  });

  it('startResponse twice without excInfo', async () => {
    await expectViolation((_e, startResponse) => {
      startResponse('200 OK', TEXT);
      startResponse('404 Not Found', TEXT);
      return ['x'];
    }, 'called a second time without excInfo');
  });

  it('write() outside its response: one kept from an earlier request, before this one called startResponse', async () => {
    let kept: Write | null = null;
    const app: Application = (_e, startResponse) => {
      if (kept === null) {
        kept = startResponse('200 OK', TEXT);
        return ['first'];
      }
      kept('stale');
      startResponse('200 OK', TEXT);
      return ['second'];
    };
    const logs: string[] = [];
    const server = await makeServer('127.0.0.1', 0, validator(app), { errorLog: (t: string) => { logs.push(t); } });
    try {
      const url = `http://127.0.0.1:${server.serverAddress[1]}/`;
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(url)).status).toBe(500);
    } finally {
      await server.shutdown();
    }
    expect(logs.join('')).toContain('write() called after its response was closed');
  });

  it.each([
    ['a number in an array', () => [42]],
    ['null from a generator', () => (function* () { yield null; })()],
    ['an object from an async generator', () => (async function* () { yield { text: 'x' }; })()],
  ])('a bad chunk: %s', async (_name, body) => {
    await expectViolation((_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return body() as unknown as Chunk[];
    }, 'each chunk of the body must be a Uint8Array or a string');
  });

  it('a bad chunk passed to write()', async () => {
    await expectViolation((_e, startResponse) => {
      const write = startResponse('200 OK', TEXT) as (c: unknown) => void;
      write(7);
      return [];
    }, 'the chunk passed to write() must be a Uint8Array or a string, got 7');
  });

  it('a first chunk before startResponse', async () => {
    await expectViolation((_e, startResponse) => (function* () {
      yield 'too early';
      startResponse('200 OK', TEXT);
    })(), 'before startResponse() was called');
  });

  it('an array body without startResponse', async () => {
    await expectViolation(() => ['x'], 'before calling startResponse()');
  });

  it('a body that ends without startResponse', async () => {
    await expectViolation(() => (function* () { /* nothing */ })(), 'the body ended but startResponse() was never called');
  });

  it('errors.write() of a non-string', async () => {
    await expectViolation((environ, startResponse) => {
      (environ['wsgi.errors'].write as (x: unknown) => void)(42);
      startResponse('200 OK', TEXT);
      return ['x'];
    }, 'wsgi.errors.write() takes a string, got 42');
  });

  it('errors.writelines() of non-strings', async () => {
    await expectViolation((environ, startResponse) => {
      (environ['wsgi.errors'].writelines as (x: unknown) => void)(['ok', 1]);
      startResponse('200 OK', TEXT);
      return ['x'];
    }, 'wsgi.errors.writelines() takes strings, got 1');
  });

  it('closing wsgi.input or wsgi.errors', async () => {
    await expectViolation((environ) => {
      (environ['wsgi.input'] as unknown as { close(): void }).close();
      return [];
    }, 'wsgi.input.close() must not be called');
    await expectViolation((environ) => {
      (environ['wsgi.errors'] as unknown as { close(): void }).close();
      return [];
    }, 'wsgi.errors.close() must not be called');
  });

  it.each([
    ['read', '10'],
    ['read', -1],
    ['readline', 1.5],
    ['readlines', 'all'],
  ])('bad wsgi.input.%s() argument %j', async (method, arg) => {
    await expectViolation(async (environ, startResponse) => {
      const input = environ['wsgi.input'] as unknown as Record<string, (x: unknown) => Promise<unknown>>;
      await input[method](arg);
      startResponse('200 OK', TEXT);
      return ['x'];
    }, `wsgi.input.${method}() takes a non-negative integer or nothing`, { method: 'POST', body: 'abc' });
  });
});

// ---------------------------------------------------------------------------------------------
// The environ checks, by direct calls

describe('environ checks', () => {
  it('a minimal valid environ passes, and the app sees wrapped streams', async () => {
    let seen: Environ | null = null;
    const body = callDirect((environ, startResponse) => {
      seen = environ;
      startResponse('200 OK', TEXT);
      return ['ok'];
    }, makeEnviron());
    expect(await drain(body)).toEqual(['ok']);
    expect(seen!['wsgi.input']).not.toBeInstanceOf(Input);
    expect(typeof (seen!['wsgi.errors'] as unknown as { close: unknown }).close).toBe('function');
  });

  it('extension keys (with a dot) may hold anything; optional CGI keys may be absent or empty', () => {
    expect(() => callDirect(okApp, makeEnviron({ 'myapp.thing': 42, 'wsgi.input_terminated': true, CONTENT_LENGTH: '' }))).not.toThrow();
    expect(() => callDirect(okApp, makeEnviron({ QUERY_STRING: undefined, SCRIPT_NAME: undefined }))).not.toThrow();
    expect(() => callDirect(okApp, makeEnviron({ SCRIPT_NAME: '/app', PATH_INFO: '' }))).not.toThrow();
    expect(() => callDirect(okApp, makeEnviron({ CONTENT_LENGTH: '12', CONTENT_TYPE: 'text/plain', HTTP_HOST: 'x' }))).not.toThrow();
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a Map', new Map()],
    ['a class instance', new (class Env { REQUEST_METHOD = 'GET'; })()],
  ])('must be a plain object, not %s', (_name, environ) => {
    expect(() => callDirect(okApp, environ)).toThrow(/server: environ must be a plain object/);
  });

  it.each([
    'REQUEST_METHOD', 'SERVER_NAME', 'SERVER_PORT', 'SERVER_PROTOCOL', 'wsgi.version', 'wsgi.url_scheme', 'wsgi.input',
    'wsgi.errors', 'wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once',
  ])('the required key %s', (key) => {
    expect(() => callDirect(okApp, makeEnviron({ [key]: undefined }))).toThrow(`environ is missing the required key "${key}"`);
  });

  it.each([
    [{ HTTP_CONTENT_TYPE: 'text/plain' }, 'must not have the key HTTP_CONTENT_TYPE (use CONTENT_TYPE instead)'],
    [{ HTTP_CONTENT_LENGTH: '3' }, 'must not have the key HTTP_CONTENT_LENGTH (use CONTENT_LENGTH instead)'],
    [{ SERVER_PORT: 8000 }, 'environ["SERVER_PORT"] must be a string, got 8000'],
    [{ QUERY_STRING: null }, 'environ["QUERY_STRING"] must be a string, got null'],
    [{ HTTP_HOST: ['a', 'b'] }, 'environ["HTTP_HOST"] must be a string'],
    [{ 'wsgi.version': [1, 1] }, "environ['wsgi.version'] must be the array [1, 0], got [ 1, 1 ]"],
    [{ 'wsgi.version': '1.0' }, "environ['wsgi.version'] must be the array [1, 0]"],
    [{ 'wsgi.url_scheme': 'ftp' }, "environ['wsgi.url_scheme'] must be 'http' or 'https', got 'ftp'"],
    [{ 'wsgi.multithread': 'no' }, 'environ["wsgi.multithread"] must be a boolean'],
    [{ 'wsgi.multiprocess': 0 }, 'environ["wsgi.multiprocess"] must be a boolean'],
    [{ 'wsgi.run_once': undefined, 'wsgi.run_once ': false }, 'missing the required key "wsgi.run_once"'],
    [{ 'wsgi.input_terminated': 'yes' }, "environ['wsgi.input_terminated'] must be a boolean"],
    [{ 'wsgi.file_wrapper': {} }, "environ['wsgi.file_wrapper'] must be a function"],
    [{ 'wsgi.input': { read() {}, readline() {} } }, 'wsgi.input has no readlines() method'],
    [{ 'wsgi.input': { read() {}, readline() {}, readlines() {} } }, 'wsgi.input is not async iterable'],
    [{ 'wsgi.input': 'body' }, "environ['wsgi.input'] must be an object"],
    [{ 'wsgi.errors': { write() {}, writelines() {} } }, 'wsgi.errors has no flush() method'],
    [{ REQUEST_METHOD: 'GE T' }, "REQUEST_METHOD must be a token, got 'GE T'"],
    [{ REQUEST_METHOD: '' }, 'REQUEST_METHOD must be a token'],
    [{ SERVER_PORT: 'http' }, 'SERVER_PORT must be a port number'],
    [{ SCRIPT_NAME: 'app' }, "SCRIPT_NAME must be empty or start with '/', got 'app'"],
    [{ SCRIPT_NAME: '/', PATH_INFO: '' }, "SCRIPT_NAME cannot be '/'"],
    [{ PATH_INFO: 'foo' }, "PATH_INFO must be empty or start with '/', got 'foo'"],
    [{ REQUEST_METHOD: 'OPTIONS', PATH_INFO: '*' }, "PATH_INFO must be empty or start with '/', got '*'"],
    [{ SCRIPT_NAME: '', PATH_INFO: undefined }, 'one of SCRIPT_NAME or PATH_INFO is required'],
    [{ CONTENT_LENGTH: '-1' }, "CONTENT_LENGTH must be empty or a number of bytes, got '-1'"],
    [{ CONTENT_LENGTH: '12abc' }, 'CONTENT_LENGTH must be empty or a number of bytes'],
  ])('rejects %o', (overrides, message) => {
    let called = false;
    expect(() => callDirect(() => { called = true; return []; }, makeEnviron(overrides))).toThrow(message);
    expect(called).toBe(false);
  });

  it('throws ValidationError, naming the server as the party at fault', () => {
    try {
      callDirect(okApp, makeEnviron({ 'wsgi.url_scheme': 'gopher' }));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).name).toBe('ValidationError');
      expect((error as Error).message).toMatch(/^server: /);
    }
  });

  it('the server must call the application with exactly (environ, startResponse)', () => {
    const app = validator(okApp) as (...args: unknown[]) => unknown;
    expect(() => app(makeEnviron())).toThrow('takes two arguments (environ, startResponse), got 1');
    expect(() => app(makeEnviron(), () => {}, 'extra')).toThrow('got 3');
    expect(() => app(makeEnviron(), 'startResponse')).toThrow('startResponse must be a function');
  });
});

// ---------------------------------------------------------------------------------------------
// The server's side of the rest of the contract, by direct calls with misbehaving servers

describe('server-side checks', () => {
  /** An environ whose wsgi.input replies with `reply` to every method. */
  function inputReplying(reply: () => unknown): Record<string, unknown> {
    const input = { read: reply, readline: reply, readlines: reply, async *[Symbol.asyncIterator]() { yield reply(); } };
    return makeEnviron({ 'wsgi.input': input, CONTENT_LENGTH: '5' });
  }

  async function readWith(environ: Record<string, unknown>, use: (input: Environ['wsgi.input']) => Promise<unknown>): Promise<unknown> {
    let reading: Promise<unknown> = Promise.resolve();
    callDirect((env, startResponse) => {
      reading = use(env['wsgi.input']);
      startResponse('200 OK', TEXT);
      return [];
    }, environ);
    return reading;
  }

  it('wsgi.input must answer with Promises of Uint8Array', async () => {
    await expect(readWith(inputReplying(() => 'abc'), (i) => i.read())).rejects.toThrow('server: wsgi.input.read() must return a Promise');
    await expect(readWith(inputReplying(async () => 'abc'), (i) => i.read())).rejects.toThrow("server: wsgi.input.read() must give Uint8Array bytes, got 'abc'");
    await expect(readWith(inputReplying(async () => [1, 2]), (i) => i.readline())).rejects.toThrow('wsgi.input.readline() must give Uint8Array bytes');
    await expect(readWith(inputReplying(async () => 'a\n'), (i) => i.readlines())).rejects.toThrow('readlines() must resolve to an array of Uint8Array lines');
    await expect(readWith(inputReplying(async () => ['a\n']), (i) => i.readlines())).rejects.toThrow('wsgi.input.readlines() must give Uint8Array bytes');
    await expect(readWith(inputReplying(() => 42), async (i) => { for await (const _ of i) { /* */ } })).rejects.toThrow('iterating wsgi.input must give Uint8Array bytes, got 42');
  });

  it('wsgi.input must respect sizes, line ends and CONTENT_LENGTH', async () => {
    const bytes = (s: string) => async () => Buffer.from(s);
    await expect(readWith(inputReplying(bytes('abcd')), (i) => i.read(2))).rejects.toThrow('server: wsgi.input.read(2) returned 4 bytes');
    await expect(readWith(inputReplying(bytes('ab\ncd\n')), (i) => i.readline())).rejects.toThrow('a line with a LF before its end');
    await expect(readWith(inputReplying(bytes('abc')), (i) => i.readline(1))).rejects.toThrow('wsgi.input.readline(1) returned 3 bytes');
    await expect(readWith(inputReplying(async () => [Buffer.from('')]), (i) => i.readlines())).rejects.toThrow('wsgi.input.readlines() gave an empty line');
    await expect(readWith(inputReplying(bytes('abcdef')), (i) => i.read())).rejects.toThrow('wsgi.input gave 6 bytes, more than CONTENT_LENGTH (5)');
  });

  it("wasgi's own Input passes, body and end included", async () => {
    const got = await readWith(makeEnviron({ CONTENT_LENGTH: '8' }, 'ab\ncd\nef'), async (input) => {
      const parts = [await input.read(1), await input.readline(), ...(await input.readlines()), await input.read(), await input.readline()];
      return parts.map((b) => Buffer.from(b).toString());
    });
    expect(got).toEqual(['a', 'b\n', 'cd\n', 'ef', '', '']);
  });

  it('startResponse must return a write() callable', () => {
    const startResponse = (() => undefined) as unknown as StartResponse;
    expect(() => callDirect(okApp, makeEnviron(), startResponse)).toThrow('server: startResponse() must return a write() callable, got undefined');
  });

  it('startResponse with excInfo after the headers were sent must throw', async () => {
    const { startResponse } = recordingStartResponse(); // a server that never rethrows
    const body = callDirect((_e, sr) => (function* () {
      sr('200 OK', TEXT);
      yield 'sent';
      sr('500 Internal Server Error', TEXT, new Error('late'));
    })(), makeEnviron(), startResponse);
    await expect(drain(body)).rejects.toThrow('server: startResponse() with excInfo after the headers were sent must throw');
  });

  it('the result must be closed once and not read after close()', () => {
    let originalCloses = 0;
    const body = callDirect((_e, sr) => {
      sr('200 OK', TEXT);
      return { *[Symbol.iterator]() { yield 'a'; yield 'b'; }, close() { originalCloses++; return 'closed'; } };
    }, makeEnviron()) as Iterable<Chunk> & { close(): unknown };
    const iterator = body[Symbol.iterator]();
    expect(iterator.next()).toEqual({ done: false, value: 'a' });
    expect(body.close()).toBe('closed');
    expect(originalCloses).toBe(1);
    expect(() => iterator.next()).toThrow('server: the result of GET / was read after close()');
    expect(() => body.close()).toThrow('server: close() called twice on the result of GET /');
    expect(originalCloses).toBe(1);
  });

  it('an array result stays an array for the server, and is checked too', () => {
    const body = callDirect((_e, sr) => { sr('200 OK', TEXT); return ['a', 'b']; }, makeEnviron()) as Chunk[] & { close(): unknown };
    expect(Array.isArray(body)).toBe(true);
    expect(body.map((c) => c)).toEqual(['a', 'b']);
    body.close();
    expect(() => body[0]).toThrow('was read after close()');
    expect(() => [...body]).toThrow('was read after close()');
    expect(() => body.close()).toThrow('close() called twice');
  });

  it('an async result must not be read concurrently or after close()', async () => {
    const body = callDirect((_e, sr) => {
      sr('200 OK', TEXT);
      return (async function* () { await new Promise((r) => setTimeout(r, 5)); yield 'a'; })();
    }, makeEnviron()) as AsyncIterable<Chunk> & { close(): unknown };
    const iterator = body[Symbol.asyncIterator]();
    const first = iterator.next();
    await expect(iterator.next()).rejects.toThrow('while the previous next() was pending');
    expect(await first).toEqual({ done: false, value: 'a' });
    body.close();
    await expect(iterator.next()).rejects.toThrow('was read after close()');
  });

  it('a result garbage-collected without close() is reported as a warning', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => { warnings.push(warning); };
    process.on('warning', onWarning);
    try {
      (() => {
        // Not through callDirect, which would keep (and close) the result.
        (validator(okApp) as (e: unknown, s: StartResponse) => unknown)(makeEnviron({ PATH_INFO: '/leaked' }), recordingStartResponse().startResponse);
      })();
      for (let i = 0; i < 20 && !warnings.some((w) => w.message.includes('/leaked')); i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      process.off('warning', onWarning);
    }
    const warning = warnings.find((w) => w.message.includes('/leaked'));
    expect(warning).toBeInstanceOf(ValidationError);
    expect(warning!.message).toBe('server: the result of GET /leaked was garbage-collected without close() having been called');
  });
});

// ---------------------------------------------------------------------------------------------
// The exported checks on their own

describe('exported checks', () => {
  it('checkStatus returns the code of a good status', () => {
    expect(checkStatus('200 OK')).toBe(200);
    expect(checkStatus('599 Custom Thing')).toBe(599);
    expect(checkStatus('404 Not\tFound')).toBe(404);
    expect(() => checkStatus('200 Caf\u20ac')).toThrow('latin-1');
  });

  it('checkHeaders accepts token names and latin-1 values with tabs', () => {
    expect(() => checkHeaders([['X-Weird.Name!', 'caf\u00e9\tau lait'], ['Set-Cookie', 'a=1']])).not.toThrow();
    expect(() => checkHeaders([['X-A', 'caf\u20ac']])).toThrow('must be latin-1');
    expect(() => checkHeaders([['X A', '1']])).toThrow('must be tokens');
    expect(() => checkHeaders([['', '1']])).toThrow('must be tokens');
  });

  it('checkContentType follows wsgiref (204 and 304 have none, the rest need one)', () => {
    expect(() => checkContentType(304, [])).not.toThrow();
    expect(() => checkContentType(304, [['content-type', 'text/plain']])).toThrow('must not have a Content-Type');
    expect(() => checkContentType(404, [['CONTENT-TYPE', 'text/plain']])).not.toThrow();
    expect(() => checkContentType(500, [])).toThrow('no Content-Type header');
  });
});
