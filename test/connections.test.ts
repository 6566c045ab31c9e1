// maxConnections: a newcomer that finds every slot taken makes the connections idle longest (never
// used, or kept alive between requests) close for it, never one doing work; when none is idle it
// waits, unread, and is served in its turn once a slot frees; beyond `backlog` waiting ones
// newcomers get 503; a waiting one is closed after headerTimeout; shutdown closes the waiting ones too.

import { describe, expect, it } from 'vitest';
import { makeServer, type Application } from '../index.js';
import { RawClient, sleep } from './helpers/net.js';
import { eventually, healthCheck, start, useServers } from './helpers/server.js';

useServers();

const served: string[] = [];
/** Requests to /hold/... are answered once released. */
const holds: (() => void)[] = [];
const app: Application = async (environ, startResponse) => {
  served.push(environ.PATH_INFO);
  if (environ.PATH_INFO.startsWith('/hold/')) await new Promise<void>((resolve) => holds.push(resolve));
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [`ok ${environ.PATH_INFO}`];
};

/** Answers every held request. */
function release(): void {
  for (const resolve of holds.splice(0)) resolve();
}

const get = (path: string, close = false): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

/**
 * A connection whose request the application is still working on: it holds its slot, and is not
 * idle (an idle one would be closed to make room for a newcomer).
 */
async function holder(port: number, name: string): Promise<RawClient> {
  const before = holds.length;
  const client = await RawClient.connect(port);
  await client.write(get(`/hold/${name}`));
  await eventually(() => holds.length > before, 'the application to hold the request');
  return client;
}

/** A connection that sends its request at once (the server does not read it while it waits). */
async function waiter(port: number, path: string, close = false): Promise<RawClient> {
  const client = await RawClient.connect(port);
  await client.write(get(path, close));
  return client;
}

describe('maxConnections', () => {
  it('lets a connection beyond the limit wait unanswered, and serves it once a slot frees', async () => {
    const { port, log } = await start(app, { maxConnections: 2 });
    const a = await holder(port, 'a');
    const b = await holder(port, 'b');
    const c = await waiter(port, '/c');
    expect(await c.staysOpen(300)).toBe(true);
    expect(c.data.length).toBe(0);
    a.destroy();
    const [response] = await c.next(1, { timeoutMs: 5000 });
    expect(response.status).toBe(200);
    expect(response.text).toBe('ok /c');
    // The adopted connection is an ordinary keep-alive connection.
    await c.write(get('/c2'));
    expect((await c.next(1))[0].text).toBe('ok /c2');
    release();
    expect((await b.next(1))[0].text).toBe('ok /hold/b');
    expect((await b.write(get('/b2')), await b.next(1))[0].text).toBe('ok /b2');
    expect(log()).toBe('');
  });

  it('serves waiting connections in the order they arrived', async () => {
    const { port } = await start(app, { maxConnections: 1 });
    const h = await holder(port, 'holder');
    const waiting: RawClient[] = [];
    for (let i = 1; i <= 5; i++) {
      waiting.push(await waiter(port, `/${i}`, true));
      // Each is accepted (and queued) before the next connects.
      await sleep(30);
    }
    expect(await waiting[0].staysOpen(200)).toBe(true);
    served.length = 0;
    h.destroy();
    // Each answers Connection: close, so its slot passes to the next one.
    for (const [i, client] of waiting.entries()) {
      const [response] = await client.next(1, { timeoutMs: 5000 });
      expect(response.text).toBe(`ok /${i + 1}`);
      await client.waitClosed();
      // The server lingers for our FIN before it frees the slot.
      client.destroy();
    }
    expect(served).toEqual(['/1', '/2', '/3', '/4', '/5']);
    expect(await healthCheck(port, '/after')).toEqual({ status: 200, body: 'ok /after' });
  });

  it('answers 503 beyond `backlog` waiting connections, with one warning per overflow', async () => {
    const { port, logs } = await start(app, { maxConnections: 1, backlog: 2 });
    const h = await holder(port, 'holder');
    const w1 = await waiter(port, '/w1');
    const w2 = await waiter(port, '/w2');
    await sleep(50);
    for (let i = 0; i < 3; i++) {
      const refused = await waiter(port, '/refused');
      await refused.waitClosed();
      expect(refused.parseAll().responses.map((r) => r.status)).toEqual([503]);
    }
    const warnings = (): string[] => logs.filter((line) => / \[warning\] .*503/.test(line));
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain('all 1 connections are in use and 2 more are waiting');
    expect(w1.closed || w2.closed).toBe(false);

    h.destroy();
    expect((await w1.next(1, { timeoutMs: 5000 }))[0].text).toBe('ok /w1');
    w1.destroy();
    expect((await w2.next(1, { timeoutMs: 5000 }))[0].text).toBe('ok /w2');
    w2.destroy();
    // The room emptied: the next overflow is a new one, and is logged again.
    await eventually(() => h.closed && w1.closed && w2.closed, 'the clients to close');
    const h2 = await holder(port, 'holder2');
    const queued = [await waiter(port, '/q1'), await waiter(port, '/q2')];
    await sleep(50);
    const refused = await waiter(port, '/refused');
    await refused.waitClosed();
    expect(warnings()).toHaveLength(2);
    h2.destroy();
    for (const q of queued) {
      expect((await q.next(1, { timeoutMs: 5000 }))[0].status).toBe(200);
      q.destroy();
    }
  });

  it('closes a waiting connection silently after headerTimeout, and serves everyone after', async () => {
    const { port, server } = await start(app, { maxConnections: 1, headerTimeout: 0.5 });
    const h = await holder(port, 'holder');
    const w = await waiter(port, '/w');
    const t0 = performance.now();
    expect(await w.staysOpen(300)).toBe(true);
    await w.waitClosed(4000);
    expect(performance.now() - t0).toBeGreaterThan(400);
    expect(w.data.length).toBe(0);
    // It never took a slot: the holder still has the only one.
    expect(server.core.openConnections).toBe(1);
    h.destroy();
    expect(await healthCheck(port, '/after')).toEqual({ status: 200, body: 'ok /after' });
  });

  it('does not let a waiting client that went away hold up the ones behind it', async () => {
    const { port, server } = await start(app, { maxConnections: 1 });
    const h = await holder(port, 'holder');
    const gone = await RawClient.connect(port);
    const sentAndGone = await waiter(port, '/gone');
    const next = await waiter(port, '/next', true);
    await sleep(50);
    gone.destroy();
    sentAndGone.destroy();
    await sleep(50);
    h.destroy();
    const [response] = await next.next(1, { timeoutMs: 5000 });
    expect(response.text).toBe('ok /next');
    await next.waitClosed();
    next.destroy();
    // Every connection, waiting or served, has given its slot and socket back.
    await eventually(() => server.core.openConnections === 0, 'every slot to be free');
    expect(await healthCheck(port, '/after')).toEqual({ status: 200, body: 'ok /after' });
  });

  it('closes waiting connections on shutdown, graceful or not', async () => {
    for (const graceful of [0, 2000]) {
      const server = await makeServer('127.0.0.1', 0, app, { maxConnections: 1, errorLog: () => {} });
      const port = server.serverAddress[1];
      const h = await holder(port, 'holder');
      const w = await waiter(port, '/w');
      await sleep(50);
      const t0 = performance.now();
      const stopped = server.shutdown({ graceful });
      // The held request is answered; the waiting connection is closed unread either way.
      release();
      await stopped;
      expect(performance.now() - t0).toBeLessThan(1500);
      await w.waitClosed(1000);
      await h.waitClosed(1000);
      expect(w.data.length).toBe(0);
    }
  });
});

describe('a full house admits newcomers', () => {
  /** A keep-alive connection answered once, now idle. */
  async function kept(port: number, path: string): Promise<RawClient> {
    const client = await RawClient.connect(port);
    await client.write(get(path));
    expect((await client.next(1))[0].text).toBe(`ok ${path}`);
    return client;
  }

  it('closes the connections idle longest, never used or kept alive, and never one doing work', async () => {
    const { port, server, log } = await start(app, { maxConnections: 8 });
    const busy = [await holder(port, 'busy1'), await holder(port, 'busy2')];
    // A head on its way is work too.
    const partial = await RawClient.connect(port);
    await partial.write('GET /partial HTTP/1.1\r\nHost: x\r\n');
    const idle: RawClient[] = [];
    for (let i = 0; i < 5; i++) {
      // Oldest first: a never-used one, then kept-alive ones, then never-used again.
      idle.push(i === 0 || i === 4 ? await RawClient.connect(port) : await kept(port, `/kept${i}`));
      await sleep(20);
    }
    await eventually(() => server.core.openConnections === 8, 'every slot taken');
    for (let n = 1; n <= 5; n++) {
      const t0 = performance.now();
      // Kept alive: each newcomer keeps its slot, so each needs one closed.
      const newcomer = await waiter(port, `/new${n}`);
      const [response] = await newcomer.next(1, { timeoutMs: 5000 });
      expect(response.text).toBe(`ok /new${n}`);
      expect(performance.now() - t0).toBeLessThan(1000);
      // The n idle longest are the ones closed, in that order.
      await eventually(() => idle.slice(0, n).every((c) => c.closed), `the ${n} idle longest to be closed`);
      expect(idle.slice(n).some((c) => c.closed)).toBe(false);
    }
    expect(busy.some((c) => c.closed) || partial.closed).toBe(false);
    // The work goes on: the held requests are answered, the head is completed and answered.
    release();
    for (const [i, client] of busy.entries()) expect((await client.next(1))[0].text).toBe(`ok /hold/busy${i + 1}`);
    await partial.write('\r\n');
    expect((await partial.next(1))[0].text).toBe('ok /partial');
    expect(log()).toBe('');
  });

  it('admits a burst of newcomers past a house of idle connections, each at once', async () => {
    const { port } = await start(app, { maxConnections: 50 });
    const idle: RawClient[] = [];
    for (let i = 0; i < 50; i++) idle.push(i % 2 === 0 ? await RawClient.connect(port) : await kept(port, `/kept${i}`));
    const started = performance.now();
    const times = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const t0 = performance.now();
      const newcomer = await waiter(port, `/burst${i}`);
      const [response] = await newcomer.next(1, { timeoutMs: 5000 });
      expect(response.status).toBe(200);
      return performance.now() - t0;
    }));
    expect(Math.max(...times), `answered within ${times.map((t) => t.toFixed(0)).join(', ')} ms`).toBeLessThan(1000);
    expect(performance.now() - started).toBeLessThan(2000);
    // The newcomers keep their slots: forty of the idle ones made room, the other ten are still open.
    await eventually(() => idle.filter((c) => c.closed).length === 40, 'forty idle connections closed');
    await sleep(100);
    expect(idle.filter((c) => !c.closed)).toHaveLength(10);
  });
});
