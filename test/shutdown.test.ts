// Graceful shutdown: stop accepting, close idle connections at once, let responses in flight
// finish, abort what is left at the deadline.

import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { makeServer, type Application } from '../index.js';
import { RawClient, sleep } from './helpers/net.js';

const GET = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(true));
  });
}

describe('shutdown({ graceful })', () => {
  it('closes idle connections at once, finishes requests in flight, refuses new ones', async () => {
    const slow: Application = async (environ, startResponse) => {
      if (environ.PATH_INFO === '/slow') await sleep(400);
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return [environ.PATH_INFO];
    };
    const server = await makeServer('127.0.0.1', 0, slow, { errorLog: () => {} });
    const port = server.serverAddress[1];
    const idle = await RawClient.connect(port);
    await idle.write(GET);
    await idle.next(1);
    const busy = await RawClient.connect(port);
    await busy.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await sleep(50);

    const t0 = performance.now();
    const done = server.shutdown({ graceful: 3000 });
    await idle.waitClosed(1000);
    expect(performance.now() - t0).toBeLessThan(350);
    expect(busy.closed).toBe(false);
    expect(await refused(port)).toBe(true);

    const [response] = await busy.next(1, { timeoutMs: 3000 });
    expect(response.status).toBe(200);
    expect(response.text).toBe('/slow');
    expect(response.connectionHas('close')).toBe(true);
    await busy.waitClosed(3000);
    await done;
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('aborts what is still running when the time is up', async () => {
    const hang: Application = () => new Promise(() => {});
    const server = await makeServer('127.0.0.1', 0, hang, { errorLog: () => {} });
    const client = await RawClient.connect(server.serverAddress[1]);
    await client.write(GET);
    await sleep(50);
    const t0 = performance.now();
    await server.shutdown({ graceful: 300 });
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
    await client.waitClosed(1000);
    expect(client.data.length).toBe(0);
  });

  it('without graceful, closes everything at once and serveForever settles', async () => {
    const hello: Application = (_e, startResponse) => { startResponse('200 OK', [['Content-Type', 'text/plain']]); return ['hi']; };
    const server = await makeServer('127.0.0.1', 0, hello, { errorLog: () => {} });
    const client = await RawClient.connect(server.serverAddress[1]);
    await client.write(GET);
    await client.next(1);
    let settled = false;
    void server.serveForever().then(() => { settled = true; });
    await server.shutdown();
    await client.waitClosed(1000);
    await sleep(0);
    expect(settled).toBe(true);
  });
});
