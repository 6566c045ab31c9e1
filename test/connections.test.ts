// maxConnections: a connection that arrives while every slot is taken waits, unread, and is served
// in its turn once a slot frees; beyond `backlog` waiting ones newcomers get 503; a waiting one is
// closed after headerTimeout; shutdown closes the waiting ones too.

import { describe, expect, it } from 'vitest';
import { makeServer, type Application } from '../index.js';
import { RawClient, sleep } from './helpers/net.js';
import { eventually, healthCheck, start, useServers } from './helpers/server.js';

useServers();

const served: string[] = [];
const app: Application = (environ, startResponse) => {
  served.push(environ.PATH_INFO);
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [`ok ${environ.PATH_INFO}`];
};

const get = (path: string, close = false): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

/** A keep-alive connection that has been answered once and now holds its slot. */
async function holder(port: number, path: string): Promise<RawClient> {
  const client = await RawClient.connect(port);
  await client.write(get(path));
  const [response] = await client.next(1);
  expect(response.text).toBe(`ok ${path}`);
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
    const a = await holder(port, '/a');
    const b = await holder(port, '/b');
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
    expect((await b.write(get('/b2')), await b.next(1))[0].text).toBe('ok /b2');
    expect(log()).toBe('');
  });

  it('serves waiting connections in the order they arrived', async () => {
    const { port } = await start(app, { maxConnections: 1 });
    const h = await holder(port, '/holder');
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
    const h = await holder(port, '/holder');
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
    const h2 = await holder(port, '/holder2');
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
    const h = await holder(port, '/holder');
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
    const h = await holder(port, '/holder');
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
      const h = await holder(port, '/holder');
      const w = await waiter(port, '/w');
      await sleep(50);
      const t0 = performance.now();
      await server.shutdown({ graceful });
      expect(performance.now() - t0).toBeLessThan(1500);
      await w.waitClosed(1000);
      await h.waitClosed(1000);
      expect(w.data.length).toBe(0);
    }
  });
});
