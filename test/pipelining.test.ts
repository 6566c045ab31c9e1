// Integration tests: pipelined requests, requests split across many reads, many clients at once.

import { describe, expect, it } from 'vitest';
import type { Application } from '../index.js';
import { RawClient, exchange, sleep } from './helpers/net.js';
import { readAll, start, useServers } from './helpers/server.js';

useServers();

/** Answers "METHOD PATH QUERY body=<body>"; reads wsgi.input only when there is a body. */
const describeRequestSafe: Application = async (environ, sr) => {
  const hasBody = (environ.CONTENT_LENGTH !== undefined && environ.CONTENT_LENGTH !== '' && environ.CONTENT_LENGTH !== '0') ||
    environ.HTTP_TRANSFER_ENCODING !== undefined;
  const body = hasBody ? await readAll(environ['wsgi.input']) : Buffer.alloc(0);
  sr('200 OK', [['Content-Type', 'text/plain']]);
  return [`${environ.REQUEST_METHOD} ${environ.PATH_INFO} ${environ.QUERY_STRING} body=${body.toString('latin1')}`];
};

interface Req { bytes: string; expect: string; method: string }

function get(i: number): Req {
  return {
    bytes: `GET /item/${i}?n=${i} HTTP/1.1\r\nHost: localhost\r\nX-Index: ${i}\r\n\r\n`,
    expect: `GET /item/${i} n=${i} body=`,
    method: 'GET',
  };
}

function postLength(i: number): Req {
  const body = `payload-${i}-${'z'.repeat(i * 7)}`;
  return {
    bytes: `POST /post/${i} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    expect: `POST /post/${i}  body=${body}`,
    method: 'POST',
  };
}

function postChunked(i: number): Req {
  const a = `chunk-a-${i};`;
  const b = `chunk-b-${i}`;
  return {
    bytes: `POST /chunked/${i} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `${a.length.toString(16)}\r\n${a}\r\n${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n`,
    expect: `POST /chunked/${i}  body=${a}${b}`,
    method: 'POST',
  };
}

function head(i: number): Req {
  return { bytes: `HEAD /head/${i} HTTP/1.1\r\nHost: localhost\r\n\r\n`, expect: '', method: 'HEAD' };
}

function mix(n: number, withHead = false): Req[] {
  const out: Req[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % (withHead ? 4 : 3);
    out.push(k === 0 ? get(i) : k === 1 ? postLength(i) : k === 2 ? postChunked(i) : head(i));
  }
  return out;
}

describe('pipelining', () => {
  it('answers 16 requests sent in one write, in order (POST bodies only)', async () => {
    const { port } = await start(describeRequestSafe);
    const reqs = mix(16);
    const client = await RawClient.connect(port);
    await client.write(reqs.map((r) => r.bytes).join(''));
    const responses = await client.next(16);
    expect(responses.map((r) => r.text)).toEqual(reqs.map((r) => r.expect));
    for (const r of responses) {
      expect(r.status).toBe(200);
      expect(r.complete).toBe(true);
      expect(r.connectionHas('close')).toBe(false);
    }
    expect(client.closed).toBe(false);
  });

  it('answers pipelined HEAD requests with headers only, keeping the stream in sync', async () => {
    const { port } = await start(describeRequestSafe);
    const reqs = mix(16, true);
    const client = await RawClient.connect(port);
    client.expectMethods(...reqs.map((r) => r.method));
    await client.write(reqs.map((r) => r.bytes).join(''));
    const responses = await client.next(16);
    expect(responses.map((r) => (r.framing === 'none' ? '' : r.text))).toEqual(reqs.map((r) => r.expect));
    expect(responses.map((r) => r.status)).toEqual(reqs.map(() => 200));
  });

  it('stops after a pipelined request with Connection: close', async () => {
    const { port } = await start(describeRequestSafe);
    const { responses } = await exchange(port, get(1).bytes + 'GET /last HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' + get(3).bytes, { untilClose: true });
    expect(responses.map((r) => r.text)).toEqual([get(1).expect, 'GET /last  body=']);
    expect(responses[1].connectionHas('close')).toBe(true);
  });

  it('keeps order when an async application finishes later requests first', async () => {
    let seq = 0;
    const { port } = await start(async (environ, sr) => {
      const i = Number(environ.PATH_INFO.split('/')[2]);
      const mine = seq++;
      // Earlier requests take longer.
      await sleep((10 - i) * 3);
      sr('200 OK', [['X-Seq', String(mine)], ['Content-Type', 'text/plain']]);
      return [`response ${i}`];
    });
    const client = await RawClient.connect(port);
    const n = 10;
    let bytes = '';
    for (let i = 0; i < n; i++) bytes += `GET /slow/${i} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
    await client.write(bytes);
    const responses = await client.next(n);
    expect(responses.map((r) => r.text)).toEqual(Array.from({ length: n }, (_, i) => `response ${i}`));
    expect(responses.map((r) => r.header('x-seq'))).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });

  it('keeps order with streamed (chunked) async responses', async () => {
    const { port } = await start((environ, sr) => {
      const i = Number(environ.PATH_INFO.split('/')[2]);
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return {
        async *[Symbol.asyncIterator]() {
          for (let k = 0; k < 3; k++) {
            await sleep(1);
            yield `${i}.${k};`;
          }
        },
      };
    });
    const client = await RawClient.connect(port);
    let bytes = '';
    for (let i = 0; i < 8; i++) bytes += `GET /s/${i} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
    await client.write(bytes);
    const responses = await client.next(8);
    expect(responses.map((r) => r.text)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}.0;${i}.1;${i}.2;`));
    expect(responses.every((r) => r.framing === 'chunked')).toBe(true);
  });
});

describe('requests split across reads', () => {
  const request = postLength(5).bytes + get(6).bytes + postChunked(7).bytes;
  const expected = [postLength(5).expect, get(6).expect, postChunked(7).expect];

  it('parses requests sent a few bytes at a time with 1 ms pauses', async () => {
    const { port } = await start(describeRequestSafe);
    const client = await RawClient.connect(port);
    await client.writeSlowly(request, 7, 1);
    const responses = await client.next(3);
    expect(responses.map((r) => r.text)).toEqual(expected);
  });

  it('parses requests sent one byte at a time', async () => {
    const { port } = await start(describeRequestSafe);
    const client = await RawClient.connect(port);
    await client.writeSlowly(request, 1, 'immediate');
    const responses = await client.next(3);
    expect(responses.map((r) => r.text)).toEqual(expected);
  });

  it('parses a request whose head ends exactly at a read boundary, body following later', async () => {
    const { port } = await start(describeRequestSafe);
    const client = await RawClient.connect(port);
    await client.write('POST /late HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n');
    await sleep(10);
    await client.write('\r\n');
    await sleep(20);
    await client.write('01234');
    await sleep(20);
    await client.write('56789');
    const [r] = await client.next();
    expect(r.text).toBe('POST /late  body=0123456789');
  });

  it('splits every possible way for a short request (CR/LF boundaries included)', async () => {
    const { port } = await start(describeRequestSafe);
    const req = 'POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc';
    // Two pieces at every cut point, all on one keep-alive connection.
    const client = await RawClient.connect(port);
    for (let cut = 1; cut < req.length; cut++) {
      await client.write(req.slice(0, cut));
      await sleep(1);
      await client.write(req.slice(cut));
      const [r] = await client.next();
      expect(r.text, `cut at ${cut}`).toBe('POST /x  body=abc');
    }
  });
});

describe('many clients', () => {
  it('answers 50 concurrent keep-alive clients making 20 requests each', async () => {
    let calls = 0;
    const { port } = await start(async (environ, sr) => {
      calls++;
      const body = environ.CONTENT_LENGTH ? await readAll(environ['wsgi.input']) : Buffer.alloc(0);
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return [`${environ.PATH_INFO}|${body.toString()}`];
    });
    const clients = await Promise.all(Array.from({ length: 50 }, () => RawClient.connect(port)));
    const failures: string[] = [];
    await Promise.all(clients.map(async (client, c) => {
      for (let i = 0; i < 20; i++) {
        const path = `/c${c}/r${i}`;
        const body = i % 2 === 0 ? '' : `body-${c}-${i}`;
        await client.write(body === ''
          ? `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`
          : `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        const [r] = await client.next(1, { timeoutMs: 10_000 });
        if (r?.text !== `${path}|${body}`) failures.push(`${path}: ${r?.status} ${JSON.stringify(r?.text)}`);
      }
      if (client.closed) failures.push(`client ${c} was closed`);
    }));
    expect(failures).toEqual([]);
    expect(calls).toBe(1000);
  });

  it('answers 50 clients that each pipeline 20 requests at once', async () => {
    const { port } = await start((environ, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return [environ.PATH_INFO];
    });
    const clients = await Promise.all(Array.from({ length: 50 }, () => RawClient.connect(port)));
    const results = await Promise.all(clients.map(async (client, c) => {
      let bytes = '';
      for (let i = 0; i < 20; i++) bytes += `GET /c${c}/r${i} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
      await client.write(bytes);
      const responses = await client.next(20, { timeoutMs: 10_000 });
      return responses.map((r) => r.text).join(',') === Array.from({ length: 20 }, (_, i) => `/c${c}/r${i}`).join(',');
    }));
    expect(results.every(Boolean)).toBe(true);
  });
});
