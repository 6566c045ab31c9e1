// Deadlines kept by the core: idle keep-alive connections close, heads that do not arrive whole in
// time get 408, stalled bodies close, and trickling clients do not hold up anyone else.

import { describe, expect, it } from 'vitest';
import { application as hello } from '../examples/hello.mjs';
import type { Application } from '../index.js';
import { RawClient, sleep } from './helpers/net.js';
import { start, useServers } from './helpers/server.js';

useServers();

const app = hello as Application;
const GET = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';

async function closedWithin(client: RawClient, ms: number): Promise<number> {
  const t0 = performance.now();
  await client.waitClosed(ms);
  return performance.now() - t0;
}

describe('deadlines', () => {
  it('closes an idle keep-alive connection after keepAlive, not before', async () => {
    const { port } = await start(app, { keepAlive: 0.3 });
    const client = await RawClient.connect(port);
    await client.write(GET);
    const [response] = await client.next(1);
    expect(response.status).toBe(200);
    expect(await client.staysOpen(150)).toBe(true);
    const waited = await closedWithin(client, 2000);
    expect(waited).toBeLessThan(1500);
    expect(client.data.length).toBe(response.rawHead.length + response.body.length);
  });

  it('with the default keepAlive (5 s), idle connections close within 5% of it, whenever they went idle', async () => {
    const { port } = await start(app);
    // Four connections going idle a quarter of a second apart: each closes 5 s after its response.
    const lateness = await Promise.all([0, 250, 500, 750].map(async (delay) => {
      await sleep(delay);
      const client = await RawClient.connect(port);
      await client.write(GET);
      await client.next(1);
      const idle = performance.now();
      await client.waitClosed(8000);
      return performance.now() - idle - 5000;
    }));
    for (const late of lateness) {
      expect(late).toBeGreaterThanOrEqual(-5);
      expect(late).toBeLessThan(500);
    }
  }, 15_000);

  it('keeps a connection that goes on sending requests', async () => {
    const { port } = await start(app, { keepAlive: 0.3 });
    const client = await RawClient.connect(port);
    for (let i = 0; i < 5; i++) {
      await client.write(GET);
      expect((await client.next(1))[0].status).toBe(200);
      await sleep(150);
    }
    expect(client.closed).toBe(false);
  });

  it('answers 408 and closes when a head does not arrive whole within headerTimeout', async () => {
    const { port } = await start(app, { headerTimeout: 0.3 });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: local');
    const [response] = await client.next(1, { timeoutMs: 3000 });
    expect(response.status).toBe(408);
    await client.waitClosed(2000);
  });

  it('closes a new connection that sends nothing within headerTimeout, silently', async () => {
    const { port } = await start(app, { headerTimeout: 0.3 });
    const client = await RawClient.connect(port);
    await closedWithin(client, 2000);
    expect(client.data.length).toBe(0);
  });

  it('closes a connection whose request body stalls past bodyTimeout; the application sees the error', async () => {
    const seen: string[] = [];
    const reader: Application = async (environ, startResponse) => {
      try {
        await environ['wsgi.input'].read();
      } catch (error) {
        seen.push((error as Error).message);
        throw error;
      }
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return ['read'];
    };
    const { port } = await start(reader, { bodyTimeout: 0.3 });
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly part');
    const [response] = await client.next(1, { timeoutMs: 3000 });
    expect(response.status).toBe(408);
    await client.waitClosed(2000);
    expect(seen.join()).toMatch(/Request Timeout/);
  });

  it('serves normal requests promptly while 200 connections trickle their heads (slowloris)', async () => {
    const { port } = await start(app, { headerTimeout: 1.5 });
    const slow = await Promise.all(Array.from({ length: 200 }, () => RawClient.connect(port)));
    let trickling = true;
    const trickle = (async () => {
      const head = 'GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ';
      for (let i = 0; trickling; i++) {
        await Promise.all(slow.filter((c) => !c.closed).map((c) => c.write(i < head.length ? head[i] : 'a')));
        await sleep(50);
      }
    })();
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const r = await fetch(`http://127.0.0.1:${port}/`);
      expect(await r.text()).toBe('hello');
      expect(performance.now() - t0).toBeLessThan(500);
    }
    // The trickling heads run out of time and are answered 408.
    await Promise.all(slow.map((c) => c.waitClosed(5000)));
    trickling = false;
    await trickle;
    const answered = slow.filter((c) => c.text.startsWith('HTTP/1.1 408 ')).length;
    expect(answered).toBe(200);
  });
});
