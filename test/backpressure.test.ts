// Backpressure both ways: a body the application is not reading yet stays in the client's
// buffers, and a client that does not read its responses is not served further until it does.

import { createHash } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Application } from '../index.js';
import { RawClient, sleep } from './helpers/net.js';
import { readAll, start, useServers } from './helpers/server.js';

useServers();

describe('backpressure', () => {
  it('stops reading a request body the application has not read yet, and resumes intact', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const app: Application = async (environ, startResponse) => {
      await released;
      const body = await readAll(environ['wsgi.input']);
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return [createHash('sha256').update(body).digest('hex')];
    };
    const { port } = await start(app, { maxBodySize: 64 << 20 });
    const body = Buffer.alloc(48 << 20);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32LE(i, i);
    const client = await RawClient.connect(port);
    void client.write(Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
    await sleep(600);
    // Whatever the kernel buffers hold, most of the body must still be waiting at the client.
    expect(client.socket.writableLength).toBeGreaterThan(24 << 20);
    release();
    const [response] = await client.next(1, { timeoutMs: 20000 });
    expect(response.text).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('does not serve a client further while it does not read its responses', async () => {
    let calls = 0;
    const big = Buffer.alloc(64 << 10, 0x61);
    const app: Application = (_environ, startResponse) => {
      calls++;
      startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
      return [big];
    };
    const { port } = await start(app);
    // A plain socket that only counts bytes: 64 MB of responses would swamp a parsing client.
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let head = Buffer.alloc(0);
    let received = 0;
    socket.on('data', (d: Buffer) => {
      if (received < 512) head = Buffer.concat([head, d]);
      received += d.length;
    });
    socket.pause();
    const requests = 1000;
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(requests));
    await sleep(800);
    const before = calls;
    expect(before).toBeLessThan(requests / 2);
    await sleep(300);
    expect(calls - before).toBeLessThan(5);
    socket.resume();
    const perResponse = (): number => (head.indexOf('\r\n\r\n') + 4) + big.length;
    const until = Date.now() + 20000;
    while ((head.indexOf('\r\n\r\n') < 0 || received < requests * perResponse()) && Date.now() < until) await sleep(20);
    socket.destroy();
    expect(head.latin1Slice(0, 17)).toBe('HTTP/1.1 200 OK\r\n');
    expect(received).toBe(requests * perResponse());
    expect(calls).toBe(requests);
  });
});
