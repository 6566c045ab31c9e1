// Integration tests: the server end to end, over fetch (undici), curl and raw sockets.

import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Application, Chunk, Environ, ResponseBody } from '../index.js';
import { RawClient, exchange, sleep } from './helpers/net.js';
import { curl, eventually, healthCheck, readAll, sha256, start, useServers } from './helpers/server.js';
// @ts-ignore: the example is plain JavaScript
import { application as helloApp } from '../examples/hello.mjs';

useServers();

const hello = helloApp as Application;
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const GET = (path = '/', extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

/** An app that returns its request body (read with read()). */
const echo: Application = async (environ, startResponse) => {
  const body = await readAll(environ['wsgi.input']);
  startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
  return [body];
};

/** An app that answers with the length and SHA-256 of its request body (a small response). */
const digest: Application = async (environ, startResponse) => {
  const body = await readAll(environ['wsgi.input']);
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [`${body.length} ${sha256(body)}`];
};

/** `payload` as a request body stream of random-sized pieces (fetch sends it chunked). */
function inRandomChunks(payload: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= payload.length) controller.close();
      else {
        const size = 1000 + Math.floor(Math.random() * 70_000);
        controller.enqueue(payload.subarray(offset, offset + size));
        offset += size;
      }
    },
  });
}

/** An async iterable body yielding `chunks`, with a pause between them. */
function streamOf(chunks: Chunk[], pauseMs = 0): ResponseBody {
  return {
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) {
        if (pauseMs) await sleep(pauseMs);
        yield c;
      }
    },
  };
}

describe('the seed hello application', () => {
  it('answers fetch', async () => {
    const { url } = await start(hello);
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    expect(response.statusText).toBe('OK');
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('content-length')).toBe('5');
    expect(await response.text()).toBe('hello');
  });

  it('answers curl -s -i', async () => {
    const { url } = await start(hello);
    const { stdout } = await curl(['-s', '-i', `${url}/`]);
    const text = stdout.toString('latin1');
    const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
    const lines = head.split('\r\n');
    expect(lines[0]).toBe('HTTP/1.1 200 OK');
    expect(lines).toContain('Content-type: text/plain');
    expect(lines).toContain('Content-Length: 5');
    expect(lines.some((l) => /^Date: /.test(l))).toBe(true);
    expect(lines.some((l) => /^Server: /.test(l))).toBe(true);
    expect(body).toBe('hello');
  });

  it('answers a raw socket, byte for byte', async () => {
    const { port } = await start(hello);
    const { responses, text, client } = await exchange(port, GET());
    expect(responses).toHaveLength(1);
    const r = responses[0];
    expect(r.rawHead.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(r.headers).toContainEqual(['Content-type', 'text/plain']);
    expect(r.headerAll('content-length')).toEqual(['5']);
    expect(r.header('transfer-encoding')).toBeUndefined();
    expect(r.framing).toBe('length');
    expect(r.text).toBe('hello');
    expect(text.endsWith('\r\n\r\nhello')).toBe(true);
    expect(r.connectionHas('close')).toBe(false);
    expect(await client.staysOpen(100)).toBe(true);
  });

  it('sends one valid Date header (current time) and one Server header', async () => {
    const { port } = await start(hello);
    const { responses } = await exchange(port, GET());
    const r = responses[0];
    expect(r.headerAll('date')).toHaveLength(1);
    expect(r.headerAll('server')).toHaveLength(1);
    const date = r.header('date') as string;
    expect(date).toMatch(HTTP_DATE);
    expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(5000);
    expect((r.header('server') as string).length).toBeGreaterThan(0);
  });

  it('keeps the application\'s own Date and Server headers instead of adding more', async () => {
    const { port } = await start((_e, sr) => {
      sr('200 OK', [['Date', 'Tue, 01 Jan 2030 00:00:00 GMT'], ['Server', 'custom/1'], ['Content-Type', 'text/plain']]);
      return ['x'];
    });
    const { responses } = await exchange(port, GET());
    expect(responses[0].headerAll('date')).toEqual(['Tue, 01 Jan 2030 00:00:00 GMT']);
    expect(responses[0].headerAll('server')).toEqual(['custom/1']);
  });
});

describe('persistence', () => {
  it('serves several requests on one keep-alive connection', async () => {
    let calls = 0;
    const { port } = await start((environ, sr) => {
      calls++;
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return [`${environ.PATH_INFO} #${calls}`];
    });
    const client = await RawClient.connect(port);
    for (let i = 1; i <= 5; i++) {
      await client.write(GET(`/r${i}`));
      const [r] = await client.next();
      expect(r.status).toBe(200);
      expect(r.text).toBe(`/r${i} #${i}`);
      expect(r.connectionHas('close')).toBe(false);
      expect(client.closed).toBe(false);
    }
    expect(calls).toBe(5);
  });

  it('closes an HTTP/1.0 connection after the response', async () => {
    const { port } = await start(hello);
    const { responses, closed } = await exchange(port, 'GET / HTTP/1.0\r\n\r\n', { untilClose: true });
    expect(closed).toBe(true);
    expect(responses).toHaveLength(1);
    const r = responses[0];
    expect(r.status).toBe(200);
    expect(r.version).toMatch(/^1\.[01]$/);
    expect(r.header('transfer-encoding')).toBeUndefined();
    expect(['length', 'close']).toContain(r.framing);
    expect(r.complete).toBe(true);
    expect(r.text).toBe('hello');
    expect(r.connectionHas('keep-alive')).toBe(false);
  });

  it('keeps an HTTP/1.0 connection open with Connection: keep-alive', async () => {
    const { port } = await start(hello);
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const [r1] = await client.next();
    expect(r1.status).toBe(200);
    expect(r1.framing).toBe('length');
    expect(r1.text).toBe('hello');
    expect(r1.connectionHas('keep-alive')).toBe(true);
    expect(await client.staysOpen(150)).toBe(true);
    await client.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const [r2] = await client.next();
    expect(r2.text).toBe('hello');
    expect(client.closed).toBe(false);
  });

  it('closes after the response when the client sends Connection: close', async () => {
    const { port } = await start(hello);
    const { responses, closed, data } = await exchange(port, GET('/', 'Connection: close\r\n'), { untilClose: true });
    expect(closed).toBe(true);
    expect(responses).toHaveLength(1);
    expect(responses[0].text).toBe('hello');
    expect(responses[0].connectionHas('close')).toBe(true);
    expect(data.toString('latin1').endsWith('hello')).toBe(true);
  });

  it('closes after the response when the application sends Connection: close', async () => {
    const { port } = await start((_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain'], ['Connection', 'close']]);
      return ['bye'];
    });
    const { responses } = await exchange(port, GET() + GET('/second'), { untilClose: true });
    expect(responses).toHaveLength(1);
    expect(responses[0].text).toBe('bye');
    expect(responses[0].headerAll('connection')).toHaveLength(1);
    expect(responses[0].connectionHas('close')).toBe(true);
  });
});

describe('responses without a body', () => {
  it('answers HEAD with headers only, even when the application returns a body', async () => {
    const { port } = await start(hello);
    const client = await RawClient.connect(port);
    client.expectMethods('HEAD', 'GET');
    await client.write('HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const [head] = await client.next();
    expect(head.status).toBe(200);
    expect(head.header('content-type')).toBe('text/plain');
    // Nothing follows the head: the bytes received are exactly the head.
    await sleep(100);
    expect(client.text).toBe(head.rawHead);
    if (head.header('content-length') !== undefined) expect(head.header('content-length')).toBe('5');
    await client.write(GET());
    const [get] = await client.next();
    expect(get.text).toBe('hello');
  });

  it('answers HEAD to a streaming application with headers only', async () => {
    const { port } = await start((_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return streamOf(['a', 'b', 'c']);
    });
    const client = await RawClient.connect(port);
    client.expectMethods('HEAD', 'GET');
    await client.write('HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const [head] = await client.next();
    expect(head.status).toBe(200);
    await sleep(100);
    expect(client.text).toBe(head.rawHead);
    await client.write(GET());
    const [get] = await client.next();
    expect(get.text).toBe('abc');
  });

  it('sends 204 without a body, Content-Length or Transfer-Encoding', async () => {
    const { port } = await start((_e, sr) => {
      sr('204 No Content', []);
      return [];
    });
    const client = await RawClient.connect(port);
    await client.write(GET());
    const [r] = await client.next();
    expect(r.status).toBe(204);
    expect(r.header('content-length')).toBeUndefined();
    expect(r.header('transfer-encoding')).toBeUndefined();
    await sleep(50);
    expect(client.text).toBe(r.rawHead);
    await client.write(GET());
    const [again] = await client.next();
    expect(again.status).toBe(204);
  });

  it('sends 304 without a body even when the application returns one', async () => {
    const { port } = await start((_e, sr) => {
      sr('304 Not Modified', [['ETag', '"v1"']]);
      return ['must not be sent'];
    });
    const client = await RawClient.connect(port);
    await client.write(GET());
    const [r] = await client.next();
    expect(r.status).toBe(304);
    expect(r.header('etag')).toBe('"v1"');
    expect(r.header('transfer-encoding')).toBeUndefined();
    await sleep(50);
    expect(client.text).toBe(r.rawHead);
    expect(client.text).not.toContain('must not be sent');
  });
});

describe('status codes', () => {
  it('sends the body of non-2xx responses (404, 302, 410, 503)', async () => {
    const { port } = await start((environ, sr) => {
      const status = environ.PATH_INFO.slice(1);
      const headers: [string, string][] = [['Content-Type', 'text/plain']];
      if (status.startsWith('302')) headers.push(['Location', '/elsewhere']);
      sr(decodeURIComponent(status), headers);
      return [`body of ${decodeURIComponent(status)}`];
    });
    const client = await RawClient.connect(port);
    for (const status of ['404 Not Found', '302 Found', '410 Gone', '503 Service Unavailable']) {
      await client.write(GET(`/${encodeURIComponent(status)}`));
      const [r] = await client.next(1, { timeoutMs: 1500 });
      expect(`${r.status} ${r.reason}`).toBe(status);
      expect(r.text, status).toBe(`body of ${status}`);
      expect(r.header('content-length'), status).toBe(String(`body of ${status}`.length));
    }
  });

  it('accepts any three-digit status with a reason phrase (301, 307, 308, 451)', async () => {
    const { port } = await start((environ, sr) => {
      const status = decodeURIComponent(environ.PATH_INFO.slice(1));
      sr(status, [['Location', '/x'], ['Content-Type', 'text/plain']]);
      return ['moved'];
    });
    const client = await RawClient.connect(port);
    for (const status of ['301 Moved Permanently', '307 Temporary Redirect', '308 Permanent Redirect', '451 Unavailable For Legal Reasons']) {
      await client.write(GET(`/${encodeURIComponent(status)}`));
      const [r] = await client.next();
      expect(`${r.status} ${r.reason}`).toBe(status);
      expect(r.text, status).toBe('moved');
    }
  });
});

describe('body framing', () => {
  const streaming: Application = (_e, sr) => {
    sr('200 OK', [['Content-Type', 'text/plain']]);
    return streamOf(['one ', 'two ', 'three'], 5);
  };

  it('streams an async iterator with chunked coding on HTTP/1.1', async () => {
    const { port } = await start(streaming);
    const client = await RawClient.connect(port);
    await client.write(GET());
    const [r] = await client.next();
    expect(r.header('transfer-encoding')).toBe('chunked');
    expect(r.header('content-length')).toBeUndefined();
    expect(r.framing).toBe('chunked');
    expect(r.text).toBe('one two three');
    expect(client.text.endsWith('0\r\n\r\n')).toBe(true);
    expect(await client.staysOpen(50)).toBe(true);
  });

  it('delivers each streamed chunk before the iterator finishes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const { port } = await start((_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/event-stream']]);
      return {
        async *[Symbol.asyncIterator]() {
          yield 'data: one\n\n';
          await sleep(10);
          yield 'data: two\n\n';
          await gate;
          yield 'data: three\n\n';
        },
      };
    });
    const client = await RawClient.connect(port);
    try {
      await client.write(GET());
      await client.waitFor(() => client.text.includes('data: two'), 2000, 'the first two chunks while the iterator is still running');
    } finally {
      release();
    }
    const [r] = await client.next();
    expect(r.text).toBe('data: one\n\ndata: two\n\ndata: three\n\n');
  });

  it('delivers a large response from an async application', async () => {
    const payload = randomBytes(1024 * 1024);
    const { url } = await start(async (_e, sr) => {
      await sleep(1);
      sr('200 OK', [['Content-Type', 'application/octet-stream']]);
      return [payload];
    });
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = Buffer.from(await response.arrayBuffer());
    expect(sha256(body)).toBe(sha256(payload));
  });

  it('delivers a large response streamed by an async iterator', async () => {
    const payload = randomBytes(1024 * 1024);
    const { url } = await start((_e, sr) => {
      sr('200 OK', [['Content-Type', 'application/octet-stream']]);
      return streamOf([payload.subarray(0, 300_000), payload.subarray(300_000, 700_000), payload.subarray(700_000)]);
    });
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = Buffer.from(await response.arrayBuffer());
    expect(sha256(body)).toBe(sha256(payload));
  });

  it('streams an async iterator close-delimited on HTTP/1.0', async () => {
    const { port } = await start(streaming);
    const { responses, closed } = await exchange(port, 'GET / HTTP/1.0\r\n\r\n', { untilClose: true });
    expect(closed).toBe(true);
    const r = responses[0];
    expect(r.header('transfer-encoding')).toBeUndefined();
    expect(r.header('content-length')).toBeUndefined();
    expect(r.framing).toBe('close');
    expect(r.text).toBe('one two three');
  });

  it('streams to curl --http1.0 until the connection closes', async () => {
    const { url } = await start(streaming);
    const { stdout } = await curl(['-s', '-i', '--http1.0', `${url}/`]);
    const text = stdout.toString('latin1');
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    expect(head).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe('one two three');
  });

  it('streams close-delimited on HTTP/1.0 even when the client asks for keep-alive', async () => {
    const { port } = await start(streaming);
    const { responses, closed } = await exchange(port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', { untilClose: true });
    expect(closed).toBe(true);
    expect(responses[0].framing).toBe('close');
    expect(responses[0].connectionHas('keep-alive')).toBe(false);
    expect(responses[0].text).toBe('one two three');
  });

  it('uses an application-declared Content-Length as is', async () => {
    const { port } = await start((_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain'], ['Content-Length', '11']]);
      return streamOf(['hello', ' ', 'world'], 2);
    });
    const client = await RawClient.connect(port);
    await client.write(GET() + GET());
    const [a, b] = await client.next(2);
    for (const r of [a, b]) {
      expect(r.headerAll('content-length')).toEqual(['11']);
      expect(r.header('transfer-encoding')).toBeUndefined();
      expect(r.text).toBe('hello world');
    }
    expect(client.closed).toBe(false);
  });

  it('does not add a second Content-Length to a whole body that declares one', async () => {
    const { port } = await start((_e, sr) => {
      sr('200 OK', [['Content-Length', '3'], ['Content-Type', 'text/plain']]);
      return ['abc'];
    });
    const { responses } = await exchange(port, GET());
    expect(responses[0].headerAll('content-length')).toEqual(['3']);
    expect(responses[0].text).toBe('abc');
  });

  it('sends the head with the first write() and the rest after', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const { port } = await start(async (_e, sr) => {
      const write = sr('200 OK', [['Content-Type', 'text/plain']]);
      write('first;');
      await gate;
      write('second;');
      return ['third'];
    });
    const client = await RawClient.connect(port);
    await client.write(GET());
    await client.waitFor(() => client.text.includes('first;'), 3000, 'the head and the first write()');
    expect(client.text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(client.text).not.toContain('second;');
    release();
    const [r] = await client.next();
    expect(r.status).toBe(200);
    expect(r.framing).toBe('chunked');
    expect(r.text).toBe('first;second;third');
  });

  it('frames write() output with the declared Content-Length', async () => {
    const { port } = await start((_e, sr) => {
      const write = sr('200 OK', [['Content-Length', '6'], ['Content-Type', 'text/plain']]);
      write('abc');
      write(new Uint8Array([0x64, 0x65, 0x66]));
      return [];
    });
    const client = await RawClient.connect(port);
    await client.write(GET() + GET());
    const [a, b] = await client.next(2);
    expect(a.text).toBe('abcdef');
    expect(b.text).toBe('abcdef');
  });
});

describe('request bodies', () => {
  it('echoes a Content-Length body sent with fetch', async () => {
    const { url } = await start(echo);
    const response = await fetch(`${url}/echo`, { method: 'POST', body: 'hello, body' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello, body');
  });

  it('echoes a chunked body sent with fetch (ReadableStream)', async () => {
    const { url } = await start(echo);
    const parts = ['alpha-', 'beta-', 'gamma'];
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = parts.shift();
        if (next === undefined) controller.close();
        else {
          await sleep(5);
          controller.enqueue(new TextEncoder().encode(next));
        }
      },
    });
    const response = await fetch(`${url}/echo`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('alpha-beta-gamma');
  });

  it('echoes a chunked body with extensions and trailers over a raw socket', async () => {
    const { port } = await start(echo);
    const req = 'POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n';
    const client = await RawClient.connect(port);
    await client.write(req + 'POST /next HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nnext');
    const [r, next] = await client.next(2);
    expect(r.text).toBe('hello 0123456789');
    expect(next.status).toBe(200);
    expect(next.text).toBe('next');
  });

  it('reads a body sent with curl --data-binary', async () => {
    const { url } = await start(digest);
    const payload = randomBytes(100_000);
    const { stdout } = await curl(['-s', '--data-binary', '@-', '-H', 'Content-Type: application/octet-stream', `${url}/digest`], payload);
    expect(stdout.toString()).toBe(`${payload.length} ${sha256(payload)}`);
  });

  it('reads a chunked body sent with curl', async () => {
    const { url } = await start(digest);
    const payload = randomBytes(50_000);
    const { stdout } = await curl(['-s', '-H', 'Transfer-Encoding: chunked', '--data-binary', '@-', `${url}/digest`], payload);
    expect(stdout.toString()).toBe(`${payload.length} ${sha256(payload)}`);
  });

  it('echoes a small body back to curl', async () => {
    const { url } = await start(echo);
    const { stdout } = await curl(['-s', '--data-binary', 'ping=pong', `${url}/echo`]);
    expect(stdout.toString()).toBe('ping=pong');
  });

  it('receives a 5 MiB Content-Length body intact', async () => {
    const { url } = await start(digest);
    const payload = randomBytes(5 * 1024 * 1024);
    const response = await fetch(`${url}/digest`, { method: 'POST', body: payload });
    expect(await response.text()).toBe(`${payload.length} ${sha256(payload)}`);
  });

  it('receives a 5 MiB chunked body intact', async () => {
    const { url } = await start(digest);
    const payload = randomBytes(5 * 1024 * 1024);
    const stream = inRandomChunks(payload);
    const response = await fetch(`${url}/digest`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(await response.text()).toBe(`${payload.length} ${sha256(payload)}`);
  });

  it('echoes a 5 MiB Content-Length body intact', async () => {
    const { url } = await start(echo);
    const payload = randomBytes(5 * 1024 * 1024);
    const response = await fetch(`${url}/echo`, { method: 'POST', body: payload, signal: AbortSignal.timeout(5000) });
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBe(payload.length);
    expect(sha256(body)).toBe(sha256(payload));
  });

  it('echoes a 5 MiB chunked body intact', async () => {
    const { url } = await start(echo);
    const payload = randomBytes(5 * 1024 * 1024);
    const stream = inRandomChunks(payload);
    const response = await fetch(`${url}/echo`, { method: 'POST', body: stream, duplex: 'half', signal: AbortSignal.timeout(5000) } as RequestInit);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBe(payload.length);
    expect(sha256(body)).toBe(sha256(payload));
  });

  it('reads a large body in small read(n) pieces', async () => {
    const { url } = await start(async (environ, sr) => {
      const input = environ['wsgi.input'];
      const sizes: number[] = [];
      const parts: Uint8Array[] = [];
      for (;;) {
        const c = await input.read(4096);
        if (c.length === 0) break;
        sizes.push(c.length);
        parts.push(c);
      }
      sr('200 OK', [['X-Max-Read', String(Math.max(...sizes))], ['Content-Type', 'text/plain']]);
      const body = Buffer.concat(parts);
      return [`${body.length} ${sha256(body)}`];
    });
    const payload = randomBytes(1024 * 1024 + 17);
    const response = await fetch(url, { method: 'PUT', body: payload });
    expect(response.headers.get('x-max-read')).toBe('4096');
    expect(await response.text()).toBe(`${payload.length} ${sha256(payload)}`);
  });

  it('splits the body into lines with readline(), readlines() and for await', async () => {
    const { port } = await start(async (environ, sr) => {
      const input = environ['wsgi.input'];
      const mode = environ.PATH_INFO;
      const lines: string[] = [];
      if (mode === '/readline') {
        for (;;) {
          const line = await input.readline();
          if (line.length === 0) break;
          lines.push(Buffer.from(line).toString('latin1'));
        }
      } else if (mode === '/readlines') {
        for (const line of await input.readlines()) lines.push(Buffer.from(line).toString('latin1'));
      } else {
        for await (const line of input) lines.push(Buffer.from(line).toString('latin1'));
      }
      sr('200 OK', [['Content-Type', 'application/json']]);
      return [JSON.stringify(lines)];
    });
    const body = 'first\nsecond\r\n\nlast without newline';
    const expected = ['first\n', 'second\r\n', '\n', 'last without newline'];
    for (const mode of ['/readline', '/readlines', '/iterate']) {
      // Sent in pieces that cut lines in the middle.
      const client = await RawClient.connect(port);
      await client.write(`POST ${mode} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 3)}`);
      await sleep(20);
      await client.write(body.slice(3, 15));
      await sleep(20);
      await client.write(body.slice(15));
      const [r] = await client.next();
      expect(JSON.parse(r.text), mode).toEqual(expected);
      client.destroy();
    }
  });

  const readsEmpty: Application = async (environ, sr) => {
    const input = environ['wsgi.input'];
    const a = await input.read();
    const b = await input.readline();
    const c = await input.read(10);
    const d = await input.readlines();
    sr('200 OK', [['Content-Type', 'text/plain']]);
    return [`${a.length},${b.length},${c.length},${d.length}`];
  };

  it.each([
    ['a request without a body (GET)', GET()],
    ['a request with Content-Length: 0', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'],
    ['a chunked request with no data', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])('gives an empty wsgi.input to %s', async (_what, request) => {
    const { port } = await start(readsEmpty);
    const client = await RawClient.connect(port);
    await client.write(request);
    const [r] = await client.next(1, { timeoutMs: 2000 });
    expect(r.text).toBe('0,0,0,0');
  });

  it('discards an unread body and serves the next request on the connection', async () => {
    const { port } = await start((environ, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return [`${environ.REQUEST_METHOD} ${environ.PATH_INFO}`];
    });
    const client = await RawClient.connect(port);
    const body = 'x'.repeat(20_000);
    await client.write(`POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}` + GET('/b'));
    const [a, b] = await client.next(2);
    expect(a.text).toBe('POST /a');
    expect(b.text).toBe('GET /b');
  });
});

describe('Expect: 100-continue', () => {
  it('sends 100 Continue only once the application reads, then the final response', async () => {
    let startReading!: () => void;
    const gate = new Promise<void>((resolve) => { startReading = resolve; });
    let called = false;
    const { port } = await start(async (environ, sr) => {
      called = true;
      await gate;
      const body = await readAll(environ['wsgi.input']);
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return [`got ${body.toString()}`];
    });
    const client = await RawClient.connect(port);
    await client.write('POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await eventually(() => called, 'the application to be called');
    await sleep(100);
    expect(client.data.length).toBe(0);
    startReading();
    await client.waitFor(() => client.data.length >= 25, 3000, '100 Continue');
    expect(client.text).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    await client.write('hello');
    const [r] = await client.next();
    expect(r.informational.map((i) => i.status)).toEqual([100]);
    expect(r.status).toBe(200);
    expect(r.text).toBe('got hello');
  });

  it('sends no 100 Continue when the application answers without reading', async () => {
    const { port } = await start((_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return ['no'];
    });
    const client = await RawClient.connect(port);
    await client.write('POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const [r] = await client.next();
    expect(r.status).toBe(200);
    expect(r.informational).toEqual([]);
    expect(client.text).not.toContain('100 Continue');
    expect(r.text).toBe('no');
  });
});

describe('environ', () => {
  it('describes the request per PEP 3333', async () => {
    let seen: Environ | undefined;
    let body = '';
    const { port } = await start(async (environ, sr) => {
      seen = environ;
      body = (await readAll(environ['wsgi.input'])).toString('latin1');
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return ['ok'];
    });
    const client = await RawClient.connect(port);
    await client.write(
      'POST /a%20b/caf%C3%A9/x%2Fy?q=1&r=%20s HTTP/1.1\r\n' +
      'Host: example.test:8080\r\n' +
      'User-Agent: wasgi-test\r\n' +
      'X-Multi: one\r\n' +
      'Cookie: a=1\r\n' +
      'X-Multi: two\r\n' +
      'Cookie: b=2\r\n' +
      'X_Under: dropped\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      'Content-Length: 3\r\n' +
      '\r\nabc',
    );
    const [r] = await client.next();
    expect(r.status).toBe(200);
    const e = seen as Environ;
    expect(e.REQUEST_METHOD).toBe('POST');
    expect(e.SCRIPT_NAME).toBe('');
    // Percent-decoded, bytes as latin-1 code points (PEP 3333 native strings).
    expect(e.PATH_INFO).toBe('/a b/caf\u00c3\u00a9/x/y');
    expect(e.QUERY_STRING).toBe('q=1&r=%20s');
    expect(e.RAW_URI).toBe('/a%20b/caf%C3%A9/x%2Fy?q=1&r=%20s');
    expect(e.SERVER_PROTOCOL).toBe('HTTP/1.1');
    expect(e.SERVER_NAME).toBe('127.0.0.1');
    expect(e.SERVER_PORT).toBe(String(port));
    expect(e.REMOTE_ADDR).toBe('127.0.0.1');
    expect(e.REMOTE_PORT).toBe(String(client.localPort));
    expect(e.HTTP_HOST).toBe('example.test:8080');
    expect(e.HTTP_USER_AGENT).toBe('wasgi-test');
    expect(e.HTTP_X_MULTI).toBe('one, two');
    expect(e.HTTP_COOKIE).toBe('a=1; b=2');
    expect(e.CONTENT_TYPE).toBe('text/plain; charset=utf-8');
    expect(e.CONTENT_LENGTH).toBe('3');
    expect(e).not.toHaveProperty('HTTP_CONTENT_TYPE');
    expect(e).not.toHaveProperty('HTTP_CONTENT_LENGTH');
    expect(e).not.toHaveProperty('HTTP_X_UNDER');
    expect(Object.values(e).filter((v) => v === 'dropped')).toEqual([]);
    expect(e['wsgi.version']).toEqual([1, 0]);
    expect(e['wsgi.url_scheme']).toBe('http');
    expect(e['wsgi.multithread']).toBe(false);
    expect(e['wsgi.multiprocess']).toBe(false);
    expect(e['wsgi.run_once']).toBe(false);
    expect(typeof e['wsgi.errors'].write).toBe('function');
    expect(typeof e['wsgi.input'].read).toBe('function');
    expect(body).toBe('abc');
    // Every CGI variable is a string.
    for (const [k, v] of Object.entries(e)) if (!k.startsWith('wsgi.')) expect(typeof v, k).toBe('string');
  });

  it('reports HTTP/1.0, an empty query and no CONTENT_LENGTH for a bodiless GET', async () => {
    let seen: Environ | undefined;
    const { port } = await start((environ, sr) => {
      seen = environ;
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return [];
    });
    await exchange(port, 'GET /plain HTTP/1.0\r\n\r\n', { untilClose: true });
    const e = seen as Environ;
    expect(e.SERVER_PROTOCOL).toBe('HTTP/1.0');
    expect(e.PATH_INFO).toBe('/plain');
    expect(e.QUERY_STRING).toBe('');
    expect(e.CONTENT_LENGTH === undefined || e.CONTENT_LENGTH === '').toBe(true);
    expect(e.CONTENT_TYPE === undefined || e.CONTENT_TYPE === '').toBe(true);
  });
});

describe('close() on the result', () => {
  /** A body whose close() calls are counted. */
  function closable(chunks: () => AsyncGenerator<Chunk>): { body: ResponseBody; closes: () => number } {
    let n = 0;
    return {
      body: { [Symbol.asyncIterator]: chunks, close: () => { n++; } },
      closes: () => n,
    };
  }

  it('is called exactly once after a normal response (iterator and array)', async () => {
    const tracked = closable(async function* () { yield 'a'; yield 'b'; });
    let arrayCloses = 0;
    const { port } = await start((environ, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      if (environ.PATH_INFO === '/array') return Object.assign(['whole'], { close: () => { arrayCloses++; } });
      return tracked.body;
    });
    const client = await RawClient.connect(port);
    await client.write(GET('/iter') + GET('/array'));
    const [a, b] = await client.next(2);
    expect(a.text).toBe('ab');
    expect(b.text).toBe('whole');
    await sleep(50);
    expect(tracked.closes()).toBe(1);
    expect(arrayCloses).toBe(1);
  });

  it('is called exactly once when iteration throws', async () => {
    let closes = 0;
    const { port, log } = await start((_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      let i = 0;
      return {
        [Symbol.iterator]: () => ({
          next: (): IteratorResult<Chunk> => {
            if (i++ === 0) return { done: false, value: 'partial' };
            throw new Error('boom during iteration');
          },
        }),
        close: () => { closes++; },
      };
    });
    const client = await RawClient.connect(port);
    await client.write(GET());
    await client.waitClosed();
    await sleep(50);
    expect(closes).toBe(1);
    expect(log()).toContain('boom during iteration');
  });

  it('is called exactly once when the first step of iteration throws (500)', async () => {
    let closes = 0;
    const { port } = await start((_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return {
        [Symbol.iterator]: () => ({ next: (): IteratorResult<Chunk> => { throw new Error('early boom'); } }),
        close: () => { closes++; },
      };
    });
    const { responses } = await exchange(port, GET(), { untilClose: true });
    expect(responses[0].status).toBe(500);
    await sleep(50);
    expect(closes).toBe(1);
  });

  it('is called exactly once when the client disconnects mid-stream', async () => {
    let produced = 0;
    let closes = 0;
    const { port } = await start((environ, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      if (environ.PATH_INFO === '/after') return ['fine'];
      return {
        async *[Symbol.asyncIterator]() {
          for (;;) {
            await sleep(2);
            produced++;
            yield `chunk ${produced}\n`;
          }
        },
        close: () => { closes++; },
      };
    });
    const client = await RawClient.connect(port);
    await client.write(GET());
    await eventually(() => produced >= 3, 'the application to produce some chunks');
    client.destroy();
    await eventually(() => closes > 0, 'close() to be called');
    const producedAtClose = produced;
    await sleep(100);
    expect(closes).toBe(1);
    expect(produced - producedAtClose).toBeLessThanOrEqual(1);
    expect(await healthCheck(port, '/after')).toEqual({ status: 200, body: 'fine' });
  });
});
