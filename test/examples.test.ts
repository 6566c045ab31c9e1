// The three example applications (the seed's hello, an async streaming one, an echo of the body)
// over keep-alive and pipelined connections, as a client sees them on a raw socket.

import { describe, expect, it } from 'vitest';
import { application as hello } from '../examples/hello.mjs';
import { application as asyncStream } from '../examples/async_stream.mjs';
import { application as echoBody } from '../examples/echo_body.mjs';
import type { Application } from '../index.js';
import { RawClient } from './helpers/net.js';
import { start, useServers } from './helpers/server.js';

useServers();

const STREAMED = 'chunk 1 of 3\nchunk 2 of 3\nchunk 3 of 3\n';

function get(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
}

function post(path: string, body: string, chunked: boolean): string {
  if (!chunked) return `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/x-test\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const half = Math.ceil(body.length / 2);
  const parts = [body.slice(0, half), body.slice(half)].filter((p) => p.length > 0);
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/x-test\r\nTransfer-Encoding: chunked\r\n\r\n` +
    parts.map((p) => `${p.length.toString(16)}\r\n${p}\r\n`).join('') + '0\r\n\r\n';
}

const cases: { name: string; app: Application; request: (i: number) => string; expect: (i: number) => string; framing: string }[] = [
  { name: 'hello (the seed application)', app: hello as Application, request: (i) => get(`/hello/${i}`), expect: () => 'hello', framing: 'length' },
  { name: 'async streaming', app: asyncStream as Application, request: (i) => get(`/stream/${i}`), expect: () => STREAMED, framing: 'chunked' },
  { name: 'echo of the body', app: echoBody as Application, request: (i) => post(`/echo/${i}`, `body number ${i} ${'x'.repeat(i * 13)}`, i % 2 === 1), expect: (i) => `body number ${i} ${'x'.repeat(i * 13)}`, framing: 'length' },
];

describe.each(cases)('$name', ({ app, request, expect: body, framing }) => {
  it('answers 10 requests one after another on one keep-alive connection', async () => {
    const { port } = await start(app);
    const client = await RawClient.connect(port);
    for (let i = 0; i < 10; i++) {
      await client.write(request(i));
      const [response] = await client.next(1);
      expect(response.status).toBe(200);
      expect(response.framing).toBe(framing);
      expect(response.text).toBe(body(i));
    }
    expect(client.closed).toBe(false);
  });

  it('answers 16 pipelined requests sent in one write, in order', async () => {
    const { port } = await start(app);
    const client = await RawClient.connect(port);
    await client.write(Array.from({ length: 16 }, (_, i) => request(i)).join(''));
    const responses = await client.next(16);
    expect(responses.map((r) => r.text)).toEqual(Array.from({ length: 16 }, (_, i) => body(i)));
    expect(responses.every((r) => r.status === 200 && r.complete)).toBe(true);
    expect(client.closed).toBe(false);
  });
});
