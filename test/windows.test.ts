// Pooled input windows: a connection holds a window only while it has bytes to parse or a request
// in progress; idle keep-alive connections read into the shared landing zone.

import { describe, expect, it } from 'vitest';
import { Core } from '../src/core.js';
import type { Application } from '../index.js';
import { RawClient } from './helpers/net.js';
import { start, useServers } from './helpers/server.js';

useServers();

const GET = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`;

/** Runs the core until no event is left; returns the actions taken, as [type, conn] pairs. */
function runAll(core: Core): [number, number][] {
  const taken: [number, number][] = [];
  while (core.eventCount > 0) {
    const n = core.run();
    for (let i = 0; i < n; i++) taken.push([core.actionWord(i, 0), core.actionWord(i, 1)]);
  }
  return taken;
}

/** Copies `text` into the connection's window at `offset` and queues the read. */
function read(core: Core, conn: number, text: string, offset = 0): number {
  const bytes = Buffer.from(text, 'latin1');
  bytes.copy(core.bytes, core.windowAddress(conn) + offset);
  core.push(core.EV_READ, conn, offset + bytes.length);
  return offset + bytes.length;
}

describe('the core\'s window pool', () => {
  it('takes a window per request in progress and gets every one back when the connections idle', () => {
    const core = new Core({ maxConnections: 64 });
    const conns = Array.from({ length: 64 }, () => core.openConnection());
    expect(core.heldWindows).toBe(0);
    for (const conn of conns) read(core, conn, GET(`/${conn}`));
    const called = runAll(core).filter(([type]) => type === core.ACT_CALL_APP);
    expect(called.length).toBe(64);
    expect(core.heldWindows).toBe(64);
    for (const conn of conns) core.push(core.EV_DONE, conn, 0);
    const released = runAll(core).filter(([type]) => type === core.ACT_RELEASE).map(([, conn]) => conn);
    expect(released.sort((a, b) => a - b)).toEqual([...conns].sort((a, b) => a - b));
    expect(core.heldWindows).toBe(0);
  });

  it('keeps the window of a partial head and of a pipelined request still waiting', () => {
    const core = new Core({ maxConnections: 4 });
    const partial = core.openConnection();
    const pipelined = core.openConnection();
    read(core, partial, 'GET / HTTP/1.1\r\nHo');
    read(core, pipelined, GET('/a') + GET('/b'));
    runAll(core);
    expect(core.heldWindows).toBe(2);
    core.push(core.EV_DONE, pipelined, 0);
    const actions = runAll(core);
    // /b is parsed from the same window: a CALL_APP, no RELEASE.
    expect(actions).toContainEqual([core.ACT_CALL_APP, pipelined]);
    expect(actions).not.toContainEqual([core.ACT_RELEASE, pipelined]);
    expect(core.heldWindows).toBe(2);
  });

  it('hands the most recently released window out again (the same pages stay warm)', () => {
    const core = new Core({ maxConnections: 8 });
    const a = core.openConnection();
    const b = core.openConnection();
    read(core, a, GET('/'));
    runAll(core);
    const first = core.windowAddress(a);
    core.push(core.EV_DONE, a, 0);
    runAll(core);
    expect(core.heldWindows).toBe(0);
    expect(core.windowAddress(b)).toBe(first);
  });

  it('gives a closed connection\'s window back', () => {
    const core = new Core({ maxConnections: 2 });
    const conn = core.openConnection();
    read(core, conn, 'GET / HTT');
    runAll(core);
    expect(core.heldWindows).toBe(1);
    core.push(core.EV_CLOSED, conn, 0);
    runAll(core);
    expect(core.heldWindows).toBe(0);
  });
});

describe('idle keep-alive connections over sockets', () => {
  const echoPath: Application = (environ, startResponse) => {
    startResponse('200 OK', [['Content-Type', 'text/plain']]);
    return [environ.PATH_INFO];
  };

  it('hold no window between requests, and their next requests (read through the landing zone) are served', async () => {
    const { server, port } = await start(echoPath);
    const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(port)));
    for (let round = 0; round < 3; round++) {
      await Promise.all(clients.map((c, i) => c.write(GET(`/${i}/${round}`))));
      const answers = await Promise.all(clients.map(async (c) => (await c.next(1))[0]));
      answers.forEach((r, i) => expect(r.text).toBe(`/${i}/${round}`));
      expect(server.loop.core.heldWindows).toBe(0);
    }
    for (const c of clients) c.destroy();
  });
});
