// Integration tests: malformed requests, limits, and applications that break the PEP 3333 contract.

import { describe, expect, it } from 'vitest';
import type { Application, Chunk, ServerOptions } from '../index.js';
import { RawClient, exchange, sleep, type HttpResponse } from './helpers/net.js';
import { eventually, healthCheck, readAll, start as startServer, useServers } from './helpers/server.js';

// These applications break PEP 3333 on purpose: the server's own answer is under test, so they
// run without the validator that the other suites wrap around every application.
const start = (app: Application, options: ServerOptions = {}) => startServer(app, { validate: false, ...options });

useServers();

const ok: Application = (environ, sr) => {
  sr('200 OK', [['Content-Type', 'text/plain']]);
  return [`ok ${environ.PATH_INFO}`];
};

/** Sends `bytes` on a fresh connection and returns the one response; the server must close. */
async function rejected(port: number, bytes: string, options: { methods?: string[] } = {}): Promise<HttpResponse> {
  const { responses, closed } = await exchange(port, bytes, { untilClose: true, methods: options.methods });
  expect(closed, 'the server closes the connection').toBe(true);
  expect(responses, 'exactly one response').toHaveLength(1);
  const r = responses[0];
  expect(r.complete).toBe(true);
  expect(r.connectionHas('close'), 'Connection: close').toBe(true);
  return r;
}

/**
 * Sends a request the application fails on and returns the response. The server may keep the
 * connection or close it, but a response saying Connection: close must be followed by closure,
 * and a kept connection must still serve the next request.
 */
async function appFailure(port: number, bytes = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'): Promise<HttpResponse> {
  const client = await RawClient.connect(port);
  await client.write(bytes);
  const [r] = await client.next();
  expect(r, 'a response').toBeDefined();
  expect(r.complete).toBe(true);
  if (r.connectionHas('close')) {
    await client.waitClosed();
  } else {
    await client.write('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
    const [next] = await client.next();
    expect(next?.text, 'the kept-alive connection serves the next request').toBe('ok /after');
  }
  client.destroy();
  return r;
}

async function expectHealthy(port: number): Promise<void> {
  expect(await healthCheck(port, '/after')).toEqual({ status: 200, body: 'ok /after' });
}

describe('malformed requests', () => {
  const cases: { name: string; bytes: () => string; status: number; options?: Partial<ServerOptions> }[] = [
    { name: 'a garbage request line', bytes: () => 'HELLO\r\n\r\n', status: 400 },
    { name: 'a request line without a version', bytes: () => 'GET /\r\nHost: x\r\n\r\n', status: 400 },
    { name: 'a request line with two spaces', bytes: () => 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n', status: 400 },
    { name: 'a lowercase version', bytes: () => 'GET / http/1.1\r\nHost: x\r\n\r\n', status: 400 },
    { name: 'a bare LF in the head', bytes: () => 'GET / HTTP/1.1\nHost: x\n\n', status: 400 },
    { name: 'a bare LF after a header', bytes: () => 'GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n', status: 400 },
    { name: 'obs-fold (a continuation line)', bytes: () => 'GET / HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n  b\r\n\r\n', status: 400 },
    { name: 'whitespace before the colon', bytes: () => 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', status: 400 },
    { name: 'HTTP/1.1 without Host', bytes: () => 'GET / HTTP/1.1\r\n\r\n', status: 400 },
    { name: 'two Content-Length fields', bytes: () => 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', status: 400 },
    { name: 'Content-Length with Transfer-Encoding', bytes: () => 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', status: 400 },
    { name: 'a request line over the default 8 KiB', bytes: () => `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 414 },
    { name: 'a request line over limitRequestLine', bytes: () => `GET /${'a'.repeat(300)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 414, options: { limitRequestLine: 256 } },
    {
      name: 'more header fields than limitRequestFields',
      bytes: () => `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 12 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`,
      status: 431,
      options: { limitRequestFields: 10 },
    },
    { name: 'more than the default 100 header fields', bytes: () => `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 120 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`, status: 431 },
    { name: 'a header field over limitRequestFieldSize', bytes: () => `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(600)}\r\n\r\n`, status: 431, options: { limitRequestFieldSize: 512 } },
    {
      name: 'a head over limitRequestHead',
      bytes: () => `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 10 }, (_, i) => `X-H${i}: ${'v'.repeat(200)}\r\n`).join('')}\r\n`,
      status: 431,
      options: { limitRequestHead: 1024 },
    },
    { name: 'Content-Length above maxBodySize', bytes: () => `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n${'x'.repeat(2048)}`, status: 413, options: { maxBodySize: 1024 } },
    { name: 'Transfer-Encoding: gzip, chunked', bytes: () => 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', status: 501 },
    { name: 'HTTP/2.0', bytes: () => 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', status: 505 },
    { name: 'HTTP/3.1', bytes: () => 'GET / HTTP/3.1\r\nHost: x\r\n\r\n', status: 505 },
    { name: 'Expect: foo', bytes: () => 'POST / HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 1\r\n\r\nx', status: 417 },
  ];

  for (const c of cases) {
    it(`answers ${c.status} to ${c.name}, closes, and keeps serving`, async () => {
      let calls = 0;
      const { port } = await start((environ, sr) => {
        if (environ.PATH_INFO !== '/after') calls++;
        return ok(environ, sr);
      }, c.options);
      const r = await rejected(port, c.bytes());
      expect(r.status).toBe(c.status);
      expect(r.version).toBe('1.1');
      expect(r.header('date')).toBeDefined();
      expect(r.header('content-length')).toBe(String(r.body.length));
      expect(calls, 'the application is not called').toBe(0);
      await expectHealthy(port);
    });
  }

  it('answers an error after a good pipelined request, then closes', async () => {
    const { port } = await start(ok);
    const { responses } = await exchange(port, 'GET /good HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/9.9\r\nHost: x\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n', { untilClose: true });
    expect(responses.map((r) => r.status)).toEqual([200, 505]);
    expect(responses[0].text).toBe('ok /good');
  });

  it('answers a HEAD request error without a body', async () => {
    const { port } = await start(ok, { limitRequestFields: 2 });
    const r = await rejected(port, 'HEAD / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n', { methods: ['HEAD'] });
    expect(r.status).toBe(431);
  });
});

describe('application errors', () => {
  it('answers 500 when the application throws before startResponse, and keeps serving', async () => {
    const { port, log } = await start((environ, sr) => {
      if (environ.PATH_INFO === '/boom') throw new Error('kaboom before start');
      return ok(environ, sr);
    });
    const r = await appFailure(port, 'GET /boom HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(r.status).toBe(500);
    expect(r.text).not.toContain('kaboom');
    expect(log()).toContain('kaboom before start');
    await expectHealthy(port);
    const again = await appFailure(port, 'GET /boom HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(again.status).toBe(500);
    await expectHealthy(port);
  });

  it('answers 500 when the application throws after startResponse but before the body', async () => {
    const { port, log } = await start((environ, sr) => {
      if (environ.PATH_INFO === '/after') return ok(environ, sr);
      sr('200 OK', [['Content-Type', 'text/plain']]);
      throw new Error('changed my mind');
    });
    const r = await appFailure(port);
    expect(r.status).toBe(500);
    expect(log()).toContain('changed my mind');
  });

  it('aborts the connection when the body fails after the head was sent, and calls close()', async () => {
    let closes = 0;
    const { port, log } = await start((environ, sr) => {
      if (environ.PATH_INFO === '/after') return ok(environ, sr);
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return {
        async *[Symbol.asyncIterator]() {
          yield 'first part;';
          await sleep(5);
          yield 'second part;';
          await sleep(5);
          throw new Error('failed mid-body');
        },
        close: () => { closes++; },
      };
    });
    const { client } = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { untilClose: true });
    expect(client.text, 'the head and the chunks sent before the failure reach the client').toContain('second part;');
    const { responses } = client.parseAll();
    expect(responses).toHaveLength(1);
    const r = responses[0];
    expect(r.status).toBe(200);
    expect(r.framing).toBe('chunked');
    expect(r.complete, 'the client must be able to tell the response is incomplete').toBe(false);
    expect(r.text).toBe('first part;second part;');
    expect(client.text).not.toContain('500');
    await sleep(20);
    expect(closes).toBe(1);
    expect(log()).toContain('failed mid-body');
    await expectHealthy(port);
  });

  it('aborts a Content-Length response that fails midway (the client sees fewer bytes)', async () => {
    const { port } = await start((_e, sr) => {
      sr('200 OK', [['Content-Length', '100']]);
      return {
        async *[Symbol.asyncIterator]() {
          yield 'only forty bytes..........................'.slice(0, 40);
          throw new Error('nope');
        },
      };
    });
    const { client } = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { untilClose: true });
    expect(client.text, 'the head and the 40 bytes sent before the failure reach the client').toContain('only forty');
    const [r] = client.parseAll().responses;
    expect(r.status).toBe(200);
    expect(r.complete).toBe(false);
    expect(r.body.length).toBe(40);
  });

  const badResponses: { name: string; app: Application; log: RegExp }[] = [
    { name: "status '2000 OK'", app: (_e, sr) => { sr('2000 OK', [['Content-Type', 'text/plain']]); return ['x']; }, log: /status/i },
    { name: "status 'OK'", app: (_e, sr) => { sr('OK', []); return ['x']; }, log: /status/i },
    { name: "status '200' without a reason phrase separator", app: (_e, sr) => { sr('200', [['Content-Type', 'text/plain']]); return ['x']; }, log: /status/i },
    { name: "status with CRLF '200 OK\\r\\nX: y'", app: (_e, sr) => { sr('200 OK\r\nX: y', [['Content-Type', 'text/plain']]); return ['x']; }, log: /status/i },
    { name: "header name 'Bad Name'", app: (_e, sr) => { sr('200 OK', [['Bad Name', 'v']]); return ['x']; }, log: /header name/i },
    { name: 'an empty header name', app: (_e, sr) => { sr('200 OK', [['', 'v']]); return ['x']; }, log: /header name/i },
    { name: 'a header value with CRLF', app: (_e, sr) => { sr('200 OK', [['X-Injected', 'a\r\nSet-Cookie: evil=1']]); return ['x']; }, log: /header value/i },
    { name: 'a header value with a bare LF', app: (_e, sr) => { sr('200 OK', [['X-Injected', 'a\nb']]); return ['x']; }, log: /header value/i },
    { name: "hop-by-hop header 'Transfer-Encoding'", app: (_e, sr) => { sr('200 OK', [['Transfer-Encoding', 'chunked']]); return ['x']; }, log: /hop-by-hop/i },
    { name: "hop-by-hop header 'Keep-Alive'", app: (_e, sr) => { sr('200 OK', [['Keep-Alive', 'timeout=5']]); return ['x']; }, log: /hop-by-hop/i },
    { name: "hop-by-hop header 'Upgrade'", app: (_e, sr) => { sr('200 OK', [['Upgrade', 'websocket']]); return ['x']; }, log: /hop-by-hop/i },
    { name: 'a non-latin-1 header value', app: (_e, sr) => { sr('200 OK', [['X-Price', '10 \u20ac']]); return ['x']; }, log: /latin-1/i },
    { name: 'a non-latin-1 header name', app: (_e, sr) => { sr('200 OK', [['X-\u0101', 'v']]); return ['x']; }, log: /latin-1|header name/i },
    { name: 'a header that is not a pair', app: (_e, sr) => { sr('200 OK', [['X-Only'] as unknown as [string, string]]); return ['x']; }, log: /pair/i },
    { name: 'an invalid Content-Length', app: (_e, sr) => { sr('200 OK', [['Content-Length', '-1']]); return ['x']; }, log: /content-length/i },
    { name: 'a status that is not a string', app: (_e, sr) => { sr(200 as unknown as string, []); return ['x']; }, log: /status/i },
    { name: 'a second startResponse without excInfo', app: (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); sr('201 Created', [['Content-Type', 'text/plain']]); return ['x']; }, log: /second time|already|excInfo|exc_info/i },
    { name: 'a non-iterable result (42)', app: (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return 42 as unknown as Chunk[]; }, log: /iterable/i },
    { name: 'a null result', app: (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return null as unknown as Chunk[]; }, log: /iterable/i },
    { name: 'a rejected Promise', app: async () => { await sleep(1); throw new Error('async failure'); }, log: /async failure/ },
    { name: 'a body chunk that is a number', app: (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return [5 as unknown as Chunk]; }, log: /Uint8Array or string/ },
    { name: 'returning without calling startResponse', app: () => ['x'], log: /startResponse/ },
  ];

  for (const c of badResponses) {
    it(`answers 500 and logs the problem for ${c.name}`, async () => {
      const { port, log } = await start((environ, sr) => (environ.PATH_INFO === '/after' ? ok(environ, sr) : c.app(environ, sr)));
      const r = await appFailure(port);
      expect(r.status).toBe(500);
      expect(r.text).not.toContain('Set-Cookie');
      expect(r.header('set-cookie')).toBeUndefined();
      expect(r.header('x-injected')).toBeUndefined();
      await eventually(() => log().length > 0, 'an error to be logged');
      expect(log()).toMatch(/error/i);
      expect(log()).toMatch(c.log);
      await expectHealthy(port);
    });
  }

  it('replaces the response when startResponse is called again with excInfo before the head is sent', async () => {
    const { port, log } = await start((_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/html'], ['X-First', 'yes']]);
      try {
        throw new Error('handled');
      } catch (error) {
        sr('503 Service Unavailable', [['Content-Type', 'text/plain'], ['Retry-After', '1']], error);
        return ['try again later'];
      }
    });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [r] = await client.next();
    expect(r.status).toBe(503);
    expect(r.reason).toBe('Service Unavailable');
    expect(r.header('content-type')).toBe('text/plain');
    expect(r.header('retry-after')).toBe('1');
    expect(r.header('x-first')).toBeUndefined();
    expect(r.text).toBe('try again later');
    expect(log()).toBe('');
  });

  it('re-raises excInfo when the head was already sent (connection aborted)', async () => {
    let caught: unknown;
    const { port } = await start((_e, sr) => {
      const write = sr('200 OK', [['Content-Type', 'text/plain']]);
      write('started;');
      const error = new Error('too late');
      try {
        sr('500 Internal Server Error', [], error);
      } catch (e) {
        caught = e;
        throw e;
      }
      return [];
    });
    const { client } = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { untilClose: true });
    expect((caught as Error)?.message).toBe('too late');
    expect(client.text, 'the head and the bytes written before the failure reach the client').toContain('started;');
    const [r] = client.parseAll().responses;
    expect(r.status).toBe(200);
    expect(r.complete).toBe(false);
    expect(r.text).toBe('started;');
  });

  it('sends exactly Content-Length bytes when the application writes more', async () => {
    const { port, log } = await start((_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain'], ['Content-Length', '5']]);
      return ['hello', ' world, this is too much'];
    });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    // Either the connection closes after the first response or the second follows cleanly.
    await client.waitFor(() => client.closed || client.text.split('HTTP/1.1 200').length > 2 && client.text.endsWith('hello'), 3000, 'close or a second response');
    await sleep(20);
    const { responses } = client.parseAll();
    expect(responses[0].status).toBe(200);
    expect(responses[0].text).toBe('hello');
    // Nothing beyond the declared length reached the client.
    const rest = client.text.slice(responses[0].rawHead.length);
    expect(rest === 'hello' || rest.startsWith('helloHTTP/1.1 200 OK\r\n'), JSON.stringify(rest)).toBe(true);
    for (const r of responses) expect(r.text).toBe('hello');
    expect(log()).toMatch(/Content-Length/);
  });

  it('sends exactly Content-Length bytes when write() exceeds it', async () => {
    const { port } = await start((_e, sr) => {
      const write = sr('200 OK', [['Content-Length', '4']]);
      write('abc');
      write('defgh');
      return [];
    });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor(() => client.closed || client.text.split('HTTP/1.1 200').length > 2 && client.text.endsWith('abcd'), 3000, 'close or a second response');
    await sleep(20);
    const { responses } = client.parseAll();
    expect(responses[0].text).toBe('abcd');
    const rest = client.text.slice(responses[0].rawHead.length);
    expect(rest === 'abcd' || rest.startsWith('abcdHTTP/1.1 200 OK\r\n'), JSON.stringify(rest)).toBe(true);
    for (const r of responses) expect(r.text).toBe('abcd');
  });

  it('closes the connection when the application sends fewer bytes than its Content-Length', async () => {
    const { port, log } = await start((_e, sr) => {
      sr('200 OK', [['Content-Length', '10']]);
      return ['short'];
    });
    const { client } = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { untilClose: true });
    const [r] = client.parseAll().responses;
    expect(r.complete).toBe(false);
    expect(r.text).toBe('short');
    expect(log()).toMatch(/Content-Length/);
  });
});

describe('request body limits and errors', () => {
  it('answers 413 when a chunked body grows past maxBodySize while the application reads it', async () => {
    let failure: unknown;
    const { port } = await start(async (environ, sr) => {
      if (environ.PATH_INFO === '/after') return ok(environ, sr);
      try {
        await readAll(environ['wsgi.input']);
      } catch (error) {
        failure = error;
        throw error;
      }
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return ['read it all'];
    }, { maxBodySize: 1024 });
    const chunk = 'c'.repeat(600);
    const body = `258\r\n${chunk}\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`;
    const r = await rejected(port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    expect(r.status).toBe(413);
    expect(failure).toBeInstanceOf(Error);
    await expectHealthy(port);
  });

  it('answers 413 for a chunked body past maxBodySize that arrives while the application is already reading', async () => {
    const { port } = await start(async (environ, sr) => {
      const body = await readAll(environ['wsgi.input']);
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return [`${body.length}`];
    }, { maxBodySize: 1024 });
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n' + 'a'.repeat(512) + '\r\n');
    await sleep(30);
    await client.write('200\r\n' + 'b'.repeat(512) + '\r\n');
    await sleep(30);
    await client.write('1\r\nc\r\n0\r\n\r\n');
    await client.waitClosed();
    const { responses } = client.parseAll();
    expect(responses.map((r) => r.status)).toEqual([413]);
  });

  it('accepts a chunked body of exactly maxBodySize', async () => {
    const { port } = await start(async (environ, sr) => {
      const body = await readAll(environ['wsgi.input']);
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return [`${body.length}`];
    }, { maxBodySize: 1024 });
    const client = await RawClient.connect(port);
    await client.write(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n${'a'.repeat(1024)}\r\n0\r\n\r\n`);
    const [r] = await client.next();
    expect(r.status).toBe(200);
    expect(r.text).toBe('1024');
  });

  it('answers 400 for a malformed chunked body while the application reads it', async () => {
    const { port } = await start(async (environ, sr) => {
      if (environ.PATH_INFO === '/after') return ok(environ, sr);
      await readAll(environ['wsgi.input']);
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return ['unexpected'];
    });
    const r = await rejected(port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n');
    expect(r.status).toBe(400);
    await expectHealthy(port);
  });

  it('sends one response and closes when an application that ignores the body gets a malformed one', async () => {
    const { port } = await start(ok);
    const { responses } = await exchange(port, 'POST /ignore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n', { untilClose: true });
    expect(responses).toHaveLength(1);
    expect(responses[0].complete).toBe(true);
    // The application answered before it could know; the server's own 400 would be fine too.
    expect([200, 400]).toContain(responses[0].status);
    await expectHealthy(port);
  });

  it('lets the application catch a body error and answer itself', async () => {
    const { port } = await start(async (environ, sr) => {
      try {
        await readAll(environ['wsgi.input']);
        sr('200 OK', [['Content-Type', 'text/plain']]);
        return ['read'];
      } catch {
        sr('422 Unprocessable Content', [['Content-Type', 'text/plain']]);
        return ['bad body'];
      }
    });
    const { responses } = await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nqq\r\n', { untilClose: true });
    // Either the application's answer or the server's 400 is acceptable, but exactly one, then close.
    expect(responses).toHaveLength(1);
    expect([400, 422]).toContain(responses[0].status);
  });

  it('fails wsgi.input when the client disconnects mid-body', async () => {
    let failure: unknown;
    let settled = false;
    const { port } = await start(async (environ, sr) => {
      if (environ.PATH_INFO === '/after') return ok(environ, sr);
      try {
        await readAll(environ['wsgi.input']);
      } catch (error) {
        failure = error;
      } finally {
        settled = true;
      }
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return ['x'];
    });
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a little');
    await sleep(30);
    client.destroy();
    await eventually(() => settled, 'the read to settle');
    expect(failure).toBeInstanceOf(Error);
    await expectHealthy(port);
  });
});
