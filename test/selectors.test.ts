// wasgi/selectors over real sockets: select() resolving at once, on readiness, on timeout and as
// a poll; register/modify/unregister, getKey/getMap, and Python's errors for misuse.

import net from 'node:net';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { listener, peer, peers, track, useSockets } from './helpers/sockets.js';
import {
  BaseSelector, DefaultSelector, EVENT_READ, EVENT_WRITE, KeyError, RuntimeError, SelectorKey, ValueError,
} from '../src/selectors.js';
import { HIGH_WATER, OSError, Socket, socket } from '../src/socket.js';

useSockets();

function selector<T = unknown>(): DefaultSelector<T> {
  return track(new DefaultSelector<T>());
}

/** A non-blocking wasgi socket accepted from a plain Node client. */
async function pair(): Promise<[Socket, net.Socket]> {
  const [s, port] = await listener(false);
  const client = await peer(port);
  const [conn] = await (async () => {
    for (;;) {
      try {
        return s.accept() as [Socket, unknown];
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  })();
  track(conn).setblocking(false);
  return [conn, client];
}

const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function fds(ready: [SelectorKey, number][]): [number, number][] {
  return ready.map(([key, events]) => [key.fd, events]);
}

describe('select()', () => {
  it('resolves at once when something is ready', async () => {
    const [s, port] = await listener(false);
    await peer(port);
    await tick();
    const sel = selector<string>();
    sel.register(s, EVENT_READ, 'listener');
    const t0 = performance.now();
    const ready = await sel.select();
    expect(performance.now() - t0).toBeLessThan(100);
    expect(ready).toHaveLength(1);
    const [key, events] = ready[0];
    expect(events).toBe(EVENT_READ);
    expect(key.fileobj).toBe(s);
    expect(key.fd).toBe(s.fileno());
    expect(key.data).toBe('listener');
  });

  it('waits, and resolves as soon as a socket becomes ready', async () => {
    const [s, port] = await listener(false);
    const sel = selector();
    sel.register(s, EVENT_READ);
    let settled = false;
    const pending = sel.select().then((r) => { settled = true; return r; });
    await tick(50);
    expect(settled).toBe(false);
    await peer(port);
    expect(fds(await pending)).toEqual([[s.fileno(), EVENT_READ]]);
  });

  it('resolves [] after the timeout (seconds) when nothing is ready', async () => {
    const [s] = await listener(false);
    const sel = selector();
    sel.register(s, EVENT_READ);
    const t0 = performance.now();
    expect(await sel.select(0.15)).toEqual([]);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
  });

  it('a timeout still resolves early on readiness', async () => {
    const [conn, client] = await pair();
    const sel = selector();
    sel.register(conn, EVENT_READ);
    const t0 = performance.now();
    setTimeout(() => client.write('x'), 30);
    expect(fds(await sel.select(5))).toEqual([[conn.fileno(), EVENT_READ]]);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('timeout 0 (or less) polls', async () => {
    const [conn, client] = await pair();
    const sel = selector();
    sel.register(conn, EVENT_READ);
    expect(await sel.select(0)).toEqual([]);
    expect(await sel.select(-1)).toEqual([]);
    client.write('data');
    await tick(50);
    expect(fds(await sel.select(0))).toEqual([[conn.fileno(), EVENT_READ]]);
  });

  it('is level-triggered: ready until consumed', async () => {
    const [conn, client] = await pair();
    const sel = selector();
    sel.register(conn, EVENT_READ);
    client.write('0123456789');
    await sel.select();
    expect(Buffer.from(conn.recv(4) as Uint8Array).toString()).toBe('0123');
    expect(fds(await sel.select(0))).toEqual([[conn.fileno(), EVENT_READ]]);
    expect(Buffer.from(conn.recv(100) as Uint8Array).toString()).toBe('456789');
    expect(await sel.select(0)).toEqual([]);
  });

  it('reports the peer\'s end as readable; recv then returns empty', async () => {
    const [conn, client] = await pair();
    const sel = selector();
    sel.register(conn, EVENT_READ);
    client.end();
    expect(fds(await sel.select(5))).toEqual([[conn.fileno(), EVENT_READ]]);
    expect((conn.recv(10) as Uint8Array).length).toBe(0);
  });

  it('reports only the ready sockets, each with its ready events', async () => {
    const [a, clientA] = await pair();
    const [b] = await pair();
    const [c, clientC] = await pair();
    const sel = selector<string>();
    sel.register(a, EVENT_READ, 'a');
    sel.register(b, EVENT_READ, 'b');
    sel.register(c, EVENT_READ | EVENT_WRITE, 'c');
    clientA.write('to a');
    clientC.write('to c');
    await tick(50);
    const ready = await sel.select(0);
    expect(ready.map(([key, events]) => [key.data, events]).sort()).toEqual([['a', EVENT_READ], ['c', EVENT_READ | EVENT_WRITE]]);
  });

  it('EVENT_WRITE: writable until the queued output reaches the high-water mark, again once it drains', async () => {
    const [conn, client] = await pair();
    client.pause();
    const sel = selector();
    sel.register(conn, EVENT_WRITE);
    expect(fds(await sel.select(0))).toEqual([[conn.fileno(), EVENT_WRITE]]);
    const chunk = Buffer.alloc(HIGH_WATER, 'w');
    let sent = 0;
    for (;;) {
      try {
        sent += conn.send(chunk) as number;
      } catch {
        break; // EAGAIN: the kernel buffers and ours are full
      }
      if (sent % (1 << 20) < HIGH_WATER) await tick(1);
    }
    expect(await sel.select(0)).toEqual([]);
    const waiting = sel.select();
    let received = 0;
    client.on('data', (d: Buffer) => { received += d.length; });
    client.resume();
    expect(fds(await waiting)).toEqual([[conn.fileno(), EVENT_WRITE]]);
    expect(received).toBeGreaterThan(0);
  });

  it('a socket registered in two selectors wakes both', async () => {
    const [conn, client] = await pair();
    const one = selector();
    const two = selector();
    one.register(conn, EVENT_READ);
    two.register(conn, EVENT_READ);
    const both = Promise.all([one.select(), two.select()]);
    await tick();
    client.write('x');
    const [r1, r2] = await both;
    expect(fds(r1)).toEqual([[conn.fileno(), EVENT_READ]]);
    expect(fds(r2)).toEqual([[conn.fileno(), EVENT_READ]]);
  });

  it('a key registered while select() waits is seen', async () => {
    const [conn, client] = await pair();
    const [other] = await pair();
    const sel = selector();
    sel.register(other, EVENT_READ);
    const pending = sel.select();
    client.write('x');
    await tick(50);
    sel.register(conn, EVENT_READ);
    expect(fds(await pending)).toEqual([[conn.fileno(), EVENT_READ]]);
  });

  it('registering by file number works like registering the socket', async () => {
    const [conn, client] = await pair();
    const sel = selector();
    const key = sel.register(conn.fileno(), EVENT_READ);
    expect(key.fileobj).toBe(conn.fileno());
    client.write('x');
    expect(fds(await sel.select(5))).toEqual([[conn.fileno(), EVENT_READ]]);
  });
});

describe('keys', () => {
  it('register returns a frozen SelectorKey', async () => {
    const [s] = await listener(false);
    const sel = selector<{ n: number }>();
    const data = { n: 1 };
    const key = sel.register(s, EVENT_READ, data);
    expect(key).toBeInstanceOf(SelectorKey);
    expect(key).toEqual(new SelectorKey(s, s.fileno(), EVENT_READ, data));
    expect(Object.isFrozen(key)).toBe(true);
  });

  it('modify changes events and data; the same events and data return the same key', async () => {
    const [conn, client] = await pair();
    const sel = selector<string>();
    const first = sel.register(conn, EVENT_READ, 'one');
    expect(sel.modify(conn, EVENT_READ, 'one')).toBe(first);
    const second = sel.modify(conn, EVENT_READ, 'two');
    expect([second.events, second.data]).toEqual([EVENT_READ, 'two']);
    const third = sel.modify(conn, EVENT_WRITE);
    expect([third.events, third.data]).toEqual([EVENT_WRITE, undefined]);
    expect(sel.getKey(conn)).toBe(third);
    client.write('ignored now');
    await tick(50);
    expect(fds(await sel.select(0))).toEqual([[conn.fileno(), EVENT_WRITE]]);
    sel.modify(conn, EVENT_READ | EVENT_WRITE);
    expect(fds(await sel.select(0))).toEqual([[conn.fileno(), EVENT_READ | EVENT_WRITE]]);
  });

  it('unregister returns the key and stops reporting', async () => {
    const [conn, client] = await pair();
    const sel = selector();
    const key = sel.register(conn, EVENT_READ);
    client.write('x');
    await tick(50);
    expect(sel.unregister(conn)).toBe(key);
    expect(await sel.select(0)).toEqual([]);
    expect(sel.getMap().size).toBe(0);
  });

  it('unregister works for a socket closed while registered', async () => {
    const [conn] = await pair();
    const sel = selector();
    const key = sel.register(conn, EVENT_READ);
    conn.close();
    expect(await sel.select(0)).toEqual([]);
    expect(sel.getKey(conn)).toBe(key);
    expect(sel.unregister(conn)).toBe(key);
  });

  it('getKey and getMap look up by socket or by file number', async () => {
    const [s] = await listener(false);
    const [conn] = await pair();
    const sel = selector<string>();
    const k1 = sel.register(s, EVENT_READ, 'listener');
    const k2 = sel.register(conn, EVENT_READ | EVENT_WRITE, 'conn');
    expect(sel.getKey(s)).toBe(k1);
    expect(sel.getKey(conn.fileno())).toBe(k2);
    const map = sel.getMap();
    expect(map.size).toBe(2);
    expect(map.get(s)).toBe(k1);
    expect(map.get(conn.fileno())).toBe(k2);
    expect(map.has(conn)).toBe(true);
    expect(map.has(12345)).toBe(false);
    expect(map.get({ fileno: () => -1 })).toBeUndefined();
    expect([...map.keys()]).toEqual([s, conn]);
    expect([...map.values()]).toEqual([k1, k2]);
    expect([...map]).toEqual([[s, k1], [conn, k2]]);
    const seen: unknown[] = [];
    map.forEach((key, fileobj) => seen.push([fileobj, key.data]));
    expect(seen).toEqual([[s, 'listener'], [conn, 'conn']]);
    // A live view.
    sel.unregister(s);
    expect(map.size).toBe(1);
  });

  it('is abstract like Python\'s: BaseSelector.modify is unregister + register', async () => {
    // A minimal selector on top of DefaultSelector's public API only.
    class Wrapped extends BaseSelector {
      readonly inner = new DefaultSelector();
      register(f: number | Socket, events: number, data?: unknown) { return this.inner.register(f, events, data); }
      unregister(f: number | Socket) { return this.inner.unregister(f); }
      select(timeout?: number | null) { return this.inner.select(timeout); }
      getMap() { return this.inner.getMap(); }
      override close() { this.inner.close(); }
    }
    const [s] = await listener(false);
    const w = track(new Wrapped());
    w.register(s, EVENT_READ, 'a');
    expect(w.modify(s, EVENT_WRITE | EVENT_READ, 'b').data).toBe('b');
    expect(w.getKey(s).events).toBe(3);
    expect(() => w.getKey(99999)).toThrow(KeyError);
    w[Symbol.dispose]();
    expect(() => w.inner.getMap()).toThrow(RuntimeError);
  });
});

describe('misuse raises what Python raises', () => {
  it('registering twice: KeyError "... (FD n) is already registered"', async () => {
    const [s] = await listener(false);
    const sel = selector();
    sel.register(s, EVENT_READ);
    expect(() => sel.register(s, EVENT_WRITE)).toThrow(new KeyError(`${s} (FD ${s.fileno()}) is already registered`));
    expect(() => sel.register(s.fileno(), EVENT_READ)).toThrow(KeyError);
  });

  it('unknown object: unregister, modify and getKey raise KeyError', async () => {
    const [s] = await listener(false);
    const sel = selector();
    expect(() => sel.unregister(s)).toThrow(new KeyError(`${s} is not registered`));
    expect(() => sel.modify(s, EVENT_READ)).toThrow(new KeyError(`${s} is not registered`));
    expect(() => sel.getKey(s)).toThrow(new KeyError(`${s} is not registered`));
  });

  it('bad event masks: ValueError "Invalid events: ..."', async () => {
    const [s] = await listener(false);
    const sel = selector();
    for (const events of [0, 4, 8 | EVENT_READ, 1.5, -1]) {
      expect(() => sel.register(s, events)).toThrow(new ValueError(`Invalid events: ${events}`));
    }
    sel.register(s, EVENT_READ);
    expect(() => sel.modify(s, 0)).toThrow(new ValueError('Invalid events: 0'));
    expect(sel.getKey(s).events).toBe(EVENT_READ);
  });

  it('a closed socket: ValueError "Invalid file descriptor: -1"', () => {
    const s = socket();
    s.close();
    expect(() => selector().register(s, EVENT_READ)).toThrow(new ValueError('Invalid file descriptor: -1'));
  });

  it('an object without fileno(), or a bad one: ValueError "Invalid file object"', () => {
    const sel = selector();
    const bad = [{}, { fileno: 'x' }, { fileno: () => 'x' }, null, 'sock'] as unknown as number[];
    for (const fileobj of bad) expect(() => sel.register(fileobj, EVENT_READ)).toThrow(/^Invalid file object: /);
    expect(() => sel.register({} as unknown as number, EVENT_READ)).toThrow(ValueError);
  });

  it('a file number that is no open socket: OSError EBADF', () => {
    expect(() => selector().register(99999, EVENT_READ)).toThrow(
      expect.objectContaining({ errno: constants.errno.EBADF, message: `[Errno ${constants.errno.EBADF}] Bad file descriptor` }));
    expect(new OSError(9, 'x')).toBeInstanceOf(Error);
  });

  it('a closed selector: register/modify/select raise ValueError, getKey/getMap RuntimeError', async () => {
    const [s] = await listener(false);
    const sel = new DefaultSelector();
    sel.register(s, EVENT_READ);
    sel.close();
    sel.close();
    const closed = new ValueError('I/O operation on closed selector');
    expect(() => sel.register(s, EVENT_READ)).toThrow(closed);
    expect(() => sel.modify(s, EVENT_READ)).toThrow(closed);
    expect(() => sel.select(0)).toThrow(closed);
    expect(() => sel.unregister(s)).toThrow(KeyError);
    expect(() => sel.getKey(s)).toThrow(new RuntimeError('Selector is closed'));
    expect(() => sel.getMap()).toThrow(new RuntimeError('Selector is closed'));
  });

  it('closing a selector resolves its waiting select() with []', async () => {
    const [s] = await listener(false);
    const sel = new DefaultSelector();
    sel.register(s, EVENT_READ);
    const pending = sel.select();
    sel[Symbol.dispose]();
    expect(await pending).toEqual([]);
  });

  it('a second select() while one waits: RuntimeError', async () => {
    const [s] = await listener(false);
    const sel = selector();
    sel.register(s, EVENT_READ);
    const pending = sel.select(0.05);
    expect(() => sel.select()).toThrow(RuntimeError);
    expect(await pending).toEqual([]);
  });
});
