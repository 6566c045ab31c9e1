// The application boundary, point by point: what an application returns, throws or forgets
// never ends the process, never reaches another client's connection, and never holds a
// connection after its client left. Each test ends by serving a good request.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import type { Application, Environ, StartResponse } from '../index.js';
import { RawClient, sleep } from './helpers/net.js';
import { eventually, healthCheck, start, useServers, type Running } from './helpers/server.js';

useServers();

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: a\r\n${extra}\r\n`;

/** Unhandled errors of the server's process (this one) during a test fail it. */
const unhandled: unknown[] = [];
const record = (error: unknown): void => { unhandled.push(error); };
beforeEach(() => {
  unhandled.length = 0;
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
});
afterEach(() => {
  process.off('uncaughtException', record);
  process.off('unhandledRejection', record);
  expect(unhandled, 'unhandled errors in the server process').toEqual([]);
});

const hello = (startResponse: StartResponse): string[] => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return ['ok'];
};

/** The routes: `/ok`, and `/bad` which runs `bad`. */
function serving(bad: Application): Application {
  return (environ, startResponse) => (environ.PATH_INFO === '/bad' ? bad(environ, startResponse) : hello(startResponse));
}

/** `/bad` on a keep-alive connection: its status (0 when aborted), then a good request on the same connection if it stayed open, and on a new one. */
async function misbehave(server: Running): Promise<{ status: number; keptAlive: boolean }> {
  const client = await RawClient.connect(server.port);
  await client.write(GET('/bad'));
  const [response] = await client.next(1);
  const status = response?.complete ? response.status : 0;
  let keptAlive = false;
  if (status !== 0 && !response.connectionHas('close') && !client.closed) {
    await client.write(GET('/ok'));
    const [next] = await client.next(1);
    expect(next?.status).toBe(200);
    expect(next?.text).toBe('ok');
    keptAlive = true;
  }
  client.destroy();
  expect(await healthCheck(server.port, '/ok')).toEqual({ status: 200, body: 'ok' });
  return { status, keptAlive };
}

function errorLines(server: Running): string[] {
  return server.logs.filter((line) => line.includes('[error]'));
}

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('1. application mistakes answer 500 and the process goes on', () => {
  const cases: [string, Application][] = [
    ['returns undefined (a forgotten return)', ((_e: Environ, sr: StartResponse) => { sr('200 OK', []); }) as unknown as Application],
    ['an async application returns undefined', (async (_e: Environ, sr: StartResponse) => { sr('200 OK', []); }) as unknown as Application],
    ['returns a thenable whose then() throws', (() => ({ then() { throw new Error('then failed'); } })) as unknown as Application],
    ['returns a thenable whose then getter throws', (() => ({ get then() { throw new Error('getter failed'); } })) as unknown as Application],
    ['throws Object.create(null)', () => { throw Object.create(null); }],
    ['throws an object whose toString throws', () => { throw { toString() { throw 1; } }; }],
    ['rejects with an object whose toString throws', async () => { throw { toString() { throw 1; } }; }],
    ['throws a Symbol', () => { throw Symbol('odd'); }],
    ['throws a Proxy whose every trap throws', () => { throw new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('trap'); } })); }],
    ['a generator throws Object.create(null) before startResponse', () => (function* () { throw Object.create(null); })()],
    ['returns a string', ((_e: Environ, sr: StartResponse) => { sr('200 OK', []); return 'text'; }) as unknown as Application],
    ['sends status 100 as its response', (_e, sr) => { sr('100 Continue', []); return ['x']; }],
    ['sends status 101 as its response', (_e, sr) => { sr('101 Switching Protocols', []); return ['x']; }],
  ];
  for (const [name, bad] of cases) {
    it(`${name}: 500, one error line, and serving goes on`, async () => {
      const server = await start(serving(bad), { validate: false });
      const { status, keptAlive } = await misbehave(server);
      expect(status).toBe(500);
      expect(keptAlive).toBe(false); // a 500 closes: the connection's state is not trusted
      await eventually(() => errorLines(server).length > 0, 'the error line');
      expect(errorLines(server)).toHaveLength(1);
    });
  }

  it('an error that cannot be shown as text after the head went out aborts the connection', async () => {
    const server = await start(serving(((_e: Environ, sr: StartResponse) => (function* () {
      sr('200 OK', []);
      yield 'first';
      throw { toString() { throw 1; } };
    })()) as unknown as Application), { validate: false });
    const { status } = await misbehave(server);
    expect(status).toBe(0);
    await eventually(() => errorLines(server).length > 0, 'the error line');
    expect(errorLines(server)[0]).toContain('cannot be shown as text');
  });

  it('a close() that throws an unprintable value: close() runs before the response completes, so the client gets a 500', async () => {
    let closes = 0;
    const server = await start(serving((_e, sr) => {
      sr('200 OK', [['Content-Length', '2']]);
      return Object.assign(['ok'], { close() { closes++; throw Object.create(null); } });
    }), { validate: false });
    const { status } = await misbehave(server);
    expect(status).toBe(500);
    expect(closes).toBe(1);
    expect(errorLines(server)).toHaveLength(1);
  });

  it('a close() that throws after a streamed body began aborts the response', async () => {
    let closes = 0;
    const server = await start(serving((_e, sr) => {
      sr('200 OK', []);
      return { *[Symbol.iterator]() { yield 'one'; yield 'two'; }, close() { closes++; throw new Error('close failed'); } };
    }), { validate: false });
    const { status } = await misbehave(server);
    expect(status).toBe(0);
    expect(closes).toBe(1);
    await eventually(() => errorLines(server).length > 0, 'the error line');
    expect(errorLines(server)).toHaveLength(1);
    expect(errorLines(server)[0]).toContain('close failed');
  });
});

describe('3. an exchange reaches only its own connection', () => {
  it('a late startResponse for a client that reset does not close the next client on its connection id', async () => {
    let answerLate: (() => void) | null = null;
    let openGate: () => void = () => {};
    const gate = new Promise<void>((resolve) => { openGate = resolve; });
    let lateWrite: unknown = 'not called';
    const server = await start((environ, startResponse) => {
      if (environ.PATH_INFO === '/late') {
        return new Promise((resolve) => {
          answerLate = () => {
            const write = startResponse('200 OK', [['Connection', 'close']]);
            try {
              write('late');
              lateWrite = 'ok';
            } catch (error) {
              lateWrite = error;
            }
            resolve(['late']);
          };
        });
      }
      if (environ.PATH_INFO === '/stream') {
        startResponse('200 OK', []);
        return (async function* () {
          yield 'b1';
          await gate;
          yield 'b2';
        })();
      }
      return hello(startResponse);
    }, { validate: false });
    const a = await RawClient.connect(server.port);
    await a.write(GET('/late'));
    await eventually(() => answerLate !== null, 'the late application to start');
    a.socket.resetAndDestroy();
    await sleep(50);
    // B takes the freed connection id (the core reuses the last freed one first) while its
    // response is under way, A's application answers.
    const b = await RawClient.connect(server.port);
    await b.write(GET('/stream'));
    await b.waitFor(() => b.text.includes('b1'));
    answerLate!();
    await sleep(20);
    openGate();
    const [streamed] = await b.next(1);
    expect(streamed.text).toBe('b1b2');
    expect(lateWrite).toBe('ok'); // a no-op for a departed client, not an error in its code
    await b.write(GET('/ok'));
    const [second] = await b.next(1);
    expect(second?.status).toBe(200);
    expect(await b.staysOpen(100)).toBe(true);
    b.destroy();
  });

  it('a thenable that calls back twice sends one body; the next response on the connection is clean', async () => {
    const server = await start(serving(((_e: Environ, sr: StartResponse) => ({
      then(resolve: (v: unknown) => void) {
        sr('200 OK', []);
        resolve((function* () { yield 'one'; })());
        resolve((function* () { yield 'two'; })());
      },
    })) as unknown as Application), { validate: false });
    const client = await RawClient.connect(server.port);
    await client.write(GET('/bad') + GET('/ok'));
    const [first, second] = await client.next(2);
    expect(first.text).toBe('one');
    expect(second.status).toBe(200);
    expect(second.text).toBe('ok');
    await sleep(50);
    expect(client.parseAll().responses).toHaveLength(2);
    expect(client.data.length).toBe(client.parseAll().consumed);
    client.destroy();
  });
});

describe('4. nothing hangs or leaks', () => {
  it('a throwing close getter is a 500 like any other mistake, and the next connection is served', async () => {
    const server = await start(serving((_e, sr) => {
      sr('200 OK', []);
      return Object.defineProperty(['ok'], 'close', { get() { throw new Error('close getter'); } });
    }), { validate: false });
    const { status } = await misbehave(server);
    expect(status).toBe(500);
    expect(errorLines(server)).toHaveLength(1);
  });

  it('clients that leave with FIN during a long poll that never answers are released', async () => {
    const server = await start(serving(() => new Promise(() => {})), { validate: false });
    await healthCheck(server.port, '/ok');
    const before = openDescriptors();
    const clients = await Promise.all(Array.from({ length: 50 }, () => RawClient.connect(server.port)));
    for (const c of clients) await c.write(GET('/bad'));
    await sleep(100);
    for (const c of clients) c.end();
    await Promise.all(clients.map((c) => c.waitClosed(3000)));
    await eventually(() => openDescriptors() <= before + 2, 'the descriptors of the departed clients to close');
    expect(await healthCheck(server.port, '/ok')).toEqual({ status: 200, body: 'ok' });
  });

  for (const how of ['FIN', 'RST'] as const) {
    it(`a streaming body waiting for its next chunk gets return() and close() once when its client leaves (${how})`, async () => {
      let returns = 0;
      let closes = 0;
      const server = await start(serving((_e, sr) => {
        sr('200 OK', []);
        const iterator: AsyncIterator<string> = {
          first: true,
          next(this: { first: boolean }) {
            if (this.first) {
              this.first = false;
              return Promise.resolve({ done: false, value: 'event\n' });
            }
            return new Promise<IteratorResult<string>>(() => {});
          },
          return() {
            returns++;
            return Promise.resolve({ done: true, value: undefined });
          },
        } as AsyncIterator<string> & { first: boolean };
        return { [Symbol.asyncIterator]: () => iterator, close() { closes++; } };
      }), { validate: false });
      const client = await RawClient.connect(server.port);
      await client.write(GET('/bad'));
      await client.waitFor(() => client.text.includes('event'));
      if (how === 'FIN') client.end();
      else client.socket.resetAndDestroy();
      await eventually(() => returns === 1 && closes === 1, 'return() and close()');
      await sleep(50);
      expect([returns, closes]).toEqual([1, 1]);
      expect(await healthCheck(server.port, '/ok')).toEqual({ status: 200, body: 'ok' });
    });
  }

  it('reading wsgi.input after responding, with body bytes unread, settles with an error', async () => {
    let settled: string | null = null;
    const server = await start(serving((environ, sr) => {
      sr('200 OK', [['Content-Length', '4']]);
      setTimeout(() => {
        environ['wsgi.input'].read().then(() => { settled = 'resolved'; }, (error: Error) => { settled = error.message; });
      }, 20);
      return ['done'];
    }), { validate: false });
    const client = await RawClient.connect(server.port);
    await client.write('POST /bad HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000));
    expect((await client.next(1))[0].status).toBe(200);
    await eventually(() => settled !== null, 'the late read to settle');
    expect(settled).toContain('the rest of the request body was discarded');
    client.destroy();
  });

  it('a half-closing client is answered by an application that answers at once', async () => {
    const server = await start(serving((_e, sr) => {
      sr('200 OK', []);
      return ['answered'];
    }), { validate: false });
    const client = await RawClient.connect(server.port);
    client.socket.end(GET('/bad', 'Connection: close\r\n'));
    await client.waitClosed();
    expect(client.parseAll().responses[0]?.text).toBe('answered');
  });
});
