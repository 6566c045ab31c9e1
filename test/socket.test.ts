// wasgi/socket against real TCP sockets: Python's API in blocking and non-blocking mode, bytes
// through the core's windows (larger than a window, under backpressure), and Python's errors.

import net from 'node:net';
import { once } from 'node:events';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { listener, peer, peers, track, useSockets } from './helpers/sockets.js';
import {
  AF_INET, AF_INET6, SOCK_STREAM, HIGH_WATER, BlockingIOError, BrokenPipeError, ConnectionError, ConnectionRefusedError,
  ConnectionResetError, OSError, Socket, ValueError, socket, type Address,
} from '../src/socket.js';

const E = constants.errno;
useSockets();

/** A connected pair: a wasgi socket accepted from a plain Node client. */
async function accepted(): Promise<[Socket, net.Socket]> {
  const [s, port] = await listener();
  const client = await peer(port);
  const [conn] = await s.accept();
  track(conn);
  return [conn, client];
}

/** A free port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function pattern(n: number, seed = 7): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 11)) & 0xff;
  return b;
}

/** Reads everything from a Node socket until its end. */
async function readAll(p: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  if (!p.readableEnded) await once(p, 'end');
  return Buffer.concat(chunks);
}

/** recv() until n bytes or the end (blocking socket). */
async function recvExactly(s: Socket, n: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const chunk = await s.recv(n - got);
    if (chunk.length === 0) break;
    chunks.push(chunk);
    got += chunk.length;
  }
  return Buffer.concat(chunks);
}

const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries a non-blocking call until it stops raising BlockingIOError. */
async function eventually<T>(f: () => T, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return f();
    } catch (error) {
      if (!(error instanceof BlockingIOError) || Date.now() > until) throw error;
      await tick(5);
    }
  }
}

function oserror(errno: number, strerror: string): { errno: number; message: string } {
  return { errno, message: `[Errno ${errno}] ${strerror}` };
}

describe('socket()', () => {
  it('makes an AF_INET stream socket with a stable small fileno', () => {
    const a = track(socket());
    const b = track(new Socket(AF_INET, SOCK_STREAM));
    expect([a.family, a.type, a.proto]).toEqual([AF_INET, SOCK_STREAM, 0]);
    expect(Number.isInteger(a.fileno()) && a.fileno() >= 3).toBe(true);
    expect(b.fileno()).not.toBe(a.fileno());
    expect(a.fileno()).toBe(a.fileno());
    expect(a.getblocking()).toBe(true);
    expect(a.getsockname()).toEqual(['0.0.0.0', 0]);
    expect(String(a)).toBe(`<socket.socket fd=${a.fileno()}, family=2, type=1, proto=0, laddr=('0.0.0.0', 0)>`);
  });

  it('refuses other families and types as Python does', () => {
    expect(() => socket(1)).toThrow(expect.objectContaining(oserror(E.EAFNOSUPPORT, 'Address family not supported by protocol')));
    expect(() => socket(AF_INET, 2)).toThrow(OSError);
  });

  it('errors are Python-like: [Errno n] strerror, with Node\'s code', () => {
    const e = new BlockingIOError(E.EAGAIN, 'Resource temporarily unavailable');
    expect(e).toBeInstanceOf(OSError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('BlockingIOError');
    expect(e.code).toBe('EAGAIN');
    expect(e.message).toBe(`[Errno ${E.EAGAIN}] Resource temporarily unavailable`);
    expect(new ConnectionRefusedError(E.ECONNREFUSED, 'Connection refused')).toBeInstanceOf(ConnectionError);
    if (process.platform === 'linux') expect(e.errno).toBe(11);
  });
});

describe('listening and accepting', () => {
  it('bind, listen, getsockname: the bound address, then the real port', async () => {
    const s = track(socket());
    s.bind(['localhost', 0]);
    expect(s.getsockname()).toEqual(['127.0.0.1', 0]);
    await s.listen(5);
    const [host, port] = s.getsockname();
    expect(host).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    await s.listen(10); // again: only the backlog would change
    expect(String(s)).toBe(`<socket.socket fd=${s.fileno()}, family=2, type=1, proto=0, laddr=('127.0.0.1', ${port})>`);
  });

  it('listen without bind picks any address and a free port', async () => {
    const s = track(socket());
    await s.listen();
    expect(s.getsockname()[0]).toBe('0.0.0.0');
    expect(s.getsockname()[1]).toBeGreaterThan(0);
  });

  it('blocking accept() resolves when a client connects, with its address', async () => {
    const [s, port] = await listener();
    const pending = s.accept();
    expect(pending).toBeInstanceOf(Promise);
    await tick();
    const client = await peer(port);
    const [conn, addr] = await pending;
    track(conn);
    expect(addr).toEqual(['127.0.0.1', client.localPort]);
    expect(conn.getpeername()).toEqual(addr);
    expect(conn.getsockname()).toEqual(['127.0.0.1', port]);
    expect(conn.getblocking()).toBe(true);
    expect(conn.fileno()).not.toBe(s.fileno());
    expect(String(conn)).toContain(`raddr=('127.0.0.1', ${client.localPort})`);
  });

  it('non-blocking accept() raises BlockingIOError until a connection waits', async () => {
    const [s, port] = await listener();
    s.setblocking(false);
    expect(s.getblocking()).toBe(false);
    expect(() => s.accept()).toThrow(BlockingIOError);
    expect(() => s.accept()).toThrow(expect.objectContaining({ code: 'EAGAIN', ...oserror(E.EAGAIN, 'Resource temporarily unavailable') }));
    const clients = await Promise.all([peer(port), peer(port), peer(port)]);
    const conns: [Socket, Address][] = [];
    await eventually(() => {
      while (conns.length < 3) conns.push(s.accept() as [Socket, Address]);
    });
    for (const [c] of conns) track(c);
    expect(conns.map(([, addr]) => addr[1]).sort()).toEqual(clients.map((c) => c.localPort).sort());
    expect(() => s.accept()).toThrow(BlockingIOError);
  });

  it('a blocked accept() rejects with EBADF when the socket is closed', async () => {
    const [s] = await listener();
    const pending = s.accept();
    s.close();
    await expect(pending).rejects.toMatchObject(oserror(E.EBADF, 'Bad file descriptor'));
  });

  it('bind to an address in use: listen rejects with EADDRINUSE', async () => {
    const [, port] = await listener();
    const s = track(socket());
    s.bind(['127.0.0.1', port]);
    await expect(s.listen()).rejects.toMatchObject({ name: 'OSError', ...oserror(E.EADDRINUSE, 'Address already in use') });
  });

  it('closing a listener refuses new connections and drops queued ones', async () => {
    const [s, port] = await listener();
    const queued = await peer(port);
    await tick();
    s.close();
    queued.resume();
    await once(queued, 'end');
    const late = net.connect(port, '127.0.0.1');
    const [error] = await once(late, 'error');
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

describe('connecting', () => {
  it('blocking connect() resolves; both ends are wasgi sockets', async () => {
    const [s, port] = await listener();
    const c = track(socket());
    const accepting = s.accept();
    await c.connect(['127.0.0.1', port]);
    const [conn, addr] = await accepting;
    track(conn);
    expect(c.getpeername()).toEqual(['127.0.0.1', port]);
    expect(c.getsockname()).toEqual(addr);
    expect(await c.send(Buffer.from('ping'))).toBe(4);
    expect(Buffer.from(await conn.recv(100)).toString()).toBe('ping');
    await conn.sendall(Buffer.from('pong'));
    expect(Buffer.from(await c.recv(100)).toString()).toBe('pong');
  });

  it('connect to "localhost" resolves the name for the family', async () => {
    const [s, port] = await listener();
    const c = track(socket());
    await c.connect(['localhost', port]);
    expect(c.getpeername()).toEqual(['127.0.0.1', port]);
    track((await s.accept())[0]);
  });

  it('connect from a bound address uses it', async () => {
    const [, port] = await listener();
    const local = await closedPort();
    const c = track(socket());
    c.bind(['127.0.0.1', local]);
    await c.connect(['127.0.0.1', port]);
    expect(c.getsockname()).toEqual(['127.0.0.1', local]);
  });

  it('connection refused: ConnectionRefusedError (errno 111 on Linux)', async () => {
    const port = await closedPort();
    const c = track(socket());
    await expect(c.connect(['127.0.0.1', port])).rejects.toSatisfy((e) =>
      e instanceof ConnectionRefusedError && e.errno === E.ECONNREFUSED && e.message === `[Errno ${E.ECONNREFUSED}] Connection refused`);
    if (process.platform === 'linux') expect(E.ECONNREFUSED).toBe(111);
    // Unconnected again.
    expect(() => c.getpeername()).toThrow(expect.objectContaining({ errno: E.ENOTCONN }));
  });

  it('non-blocking connect raises EINPROGRESS, then the socket works', async () => {
    const [s, port] = await listener();
    const c = track(socket());
    c.setblocking(false);
    expect(() => c.connect(['127.0.0.1', port])).toThrow(expect.objectContaining({ name: 'BlockingIOError', ...oserror(E.EINPROGRESS, 'Operation now in progress') }));
    expect(() => c.connect(['127.0.0.1', port])).toThrow(expect.objectContaining({ errno: E.EALREADY }));
    const n = await eventually(() => c.send(Buffer.from('early')));
    expect(n).toBe(5);
    const [conn] = await s.accept();
    track(conn);
    expect(Buffer.from(await conn.recv(10)).toString()).toBe('early');
  });

  it('non-blocking connect refused: the next recv raises it once', async () => {
    const port = await closedPort();
    const c = track(socket());
    c.setblocking(false);
    expect(() => c.connect(['127.0.0.1', port])).toThrow(BlockingIOError);
    const error = await eventually(() => {
      try {
        c.recv(10);
      } catch (e) {
        if (e instanceof ConnectionRefusedError) return e;
        throw e;
      }
      throw new Error('recv succeeded');
    });
    expect(error.errno).toBe(E.ECONNREFUSED);
    expect(() => c.recv(10)).toThrow(expect.objectContaining({ errno: E.ENOTCONN }));
  });
});

describe('recv and send', () => {
  it('blocking recv() waits for bytes and returns at most bufsize', async () => {
    const [conn, client] = await accepted();
    const pending = conn.recv(4);
    expect(pending).toBeInstanceOf(Promise);
    await tick();
    client.write('abcdefgh');
    const first = await pending;
    expect(first).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(first).toString()).toBe('abcd');
    expect(Buffer.from(await conn.recv(100)).toString()).toBe('efgh');
    expect((await conn.recv(0)).length).toBe(0);
  });

  it('non-blocking recv() raises BlockingIOError with nothing waiting, then returns bytes at once', async () => {
    const [conn, client] = await accepted();
    conn.setblocking(false);
    expect(() => conn.recv(10)).toThrow(expect.objectContaining({ name: 'BlockingIOError', code: 'EAGAIN', errno: E.EAGAIN }));
    client.write('hello');
    const data = await eventually(() => conn.recv(10));
    expect(data).not.toBeInstanceOf(Promise);
    expect(Buffer.from(data).toString()).toBe('hello');
    expect(() => conn.recv(10)).toThrow(BlockingIOError);
  });

  it('peer closing: recv returns what is left, then empty (blocking and non-blocking)', async () => {
    const [conn, client] = await accepted();
    client.end('last words');
    expect(Buffer.from(await conn.recv(100)).toString()).toBe('last words');
    expect((await conn.recv(100)).length).toBe(0);
    expect((await conn.recv(100)).length).toBe(0);
    conn.setblocking(false);
    expect((conn.recv(100) as Uint8Array).length).toBe(0);
    // Half-closed: this side may still send.
    await conn.sendall(Buffer.from('reply'));
    conn.close();
    expect((await readAll(client)).toString()).toBe('reply');
  });

  it('a blocked recv() resolves empty when the peer closes', async () => {
    const [conn, client] = await accepted();
    const pending = conn.recv(10);
    await tick();
    client.end();
    expect((await pending).length).toBe(0);
  });

  it('peer reset: recv raises ConnectionResetError once, then returns empty', async () => {
    const [conn, client] = await accepted();
    client.resetAndDestroy();
    await expect(conn.recv(10)).rejects.toSatisfy((e) => e instanceof ConnectionResetError && e.errno === E.ECONNRESET);
    expect((await conn.recv(10)).length).toBe(0);
    await expect(conn.send(Buffer.from('x'))).rejects.toSatisfy((e) => e instanceof BrokenPipeError && e.errno === E.EPIPE);
  });

  it('moves 3 MiB each way through the windows intact', async () => {
    const [s, port] = await listener();
    const c = track(socket());
    const accepting = s.accept();
    await c.connect(['127.0.0.1', port]);
    const [conn] = await accepting;
    track(conn);
    const up = pattern(3 << 20, 1);
    const down = pattern(3 << 20, 2);
    const [, , gotUp, gotDown] = await Promise.all([
      c.sendall(up), conn.sendall(down), recvExactly(conn, up.length), recvExactly(c, down.length),
    ]);
    expect(gotUp.equals(up)).toBe(true);
    expect(gotDown.equals(down)).toBe(true);
  });

  it('odd recv sizes across window compaction keep every byte in order', async () => {
    const [conn, client] = await accepted();
    const data = pattern(400_000, 3);
    client.write(data);
    const chunks: Uint8Array[] = [];
    let got = 0;
    for (let i = 0; got < data.length; i++) {
      const chunk = await conn.recv([1, 7, 1000, 4096, 65536, 100_000][i % 6]);
      chunks.push(chunk);
      got += chunk.length;
      if (i % 5 === 0) await tick(1); // let the window fill meanwhile
    }
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('recv() between a read and the loop\'s turn neither repeats nor loses bytes', async () => {
    const [conn, client] = await accepted();
    conn.setblocking(false);
    const a = Buffer.alloc(100, 'a');
    const b = Buffer.alloc(100, 'b');
    client.write(a);
    await tick(50); // the core has seen a
    client.write(b); // on loopback, already in this socket's receive buffer
    // This immediate runs after the poll phase has read b but before the loop's flush runs.
    await new Promise(setImmediate);
    const first = conn.recv(1000) as Uint8Array;
    await tick(50);
    let rest: Uint8Array = Buffer.alloc(0);
    try {
      rest = conn.recv(1000) as Uint8Array;
    } catch (error) {
      if (!(error instanceof BlockingIOError)) throw error;
    }
    expect(Buffer.concat([first, rest]).toString()).toBe(`${a}${b}`);
  });

  it('partial sends under backpressure: EAGAIN once the peer stops reading, then every byte arrives', async () => {
    const [conn, client] = await accepted();
    client.pause();
    conn.setblocking(false);
    const data = pattern(64 << 20, 4);
    let sent = 0;
    let partial = false;
    let error: unknown;
    for (;;) {
      const chunk = data.subarray(sent, sent + 100_000);
      try {
        const n = conn.send(chunk) as number;
        expect(n).toBeGreaterThan(0);
        if (n < chunk.length) partial = true;
        sent += n;
      } catch (e) {
        error = e;
        break;
      }
      if (sent === data.length) break;
      if (sent % (1 << 20) < 100_000) await tick(1); // let the kernel buffers fill
    }
    expect(error).toBeInstanceOf(BlockingIOError);
    expect(error).toMatchObject(oserror(E.EAGAIN, 'Resource temporarily unavailable'));
    expect(partial).toBe(true);
    expect(sent).toBeLessThan(data.length);
    expect(sent).toBeGreaterThanOrEqual(HIGH_WATER);
    // A blocking send waits for room and takes some.
    conn.setblocking(true);
    const more = conn.send(data.subarray(sent, sent + 10));
    expect(more).toBeInstanceOf(Promise);
    const reading = readAll(client);
    client.resume();
    sent += await more;
    conn.close();
    const received = await reading;
    expect(received.length).toBe(sent);
    expect(received.equals(data.subarray(0, sent))).toBe(true);
  });

  it('send() copies: reusing the buffer afterwards does not change what is sent', async () => {
    const [conn, client] = await accepted();
    client.pause();
    const buffer = Buffer.from('original');
    await conn.send(buffer);
    buffer.write('changed!');
    conn.close();
    client.resume();
    expect((await readAll(client)).toString()).toBe('original');
  });

  it('close() still delivers queued output', async () => {
    const [conn, client] = await accepted();
    const data = pattern(2 << 20, 5);
    const reading = readAll(client);
    await conn.sendall(data);
    conn.close();
    expect((await reading).equals(data)).toBe(true);
  });
});

describe('closing', () => {
  it('close() is idempotent; fileno() is -1 after; Symbol.dispose closes', async () => {
    const [conn] = await accepted();
    const fd = conn.fileno();
    conn.close();
    conn.close();
    expect(conn.fileno()).toBe(-1);
    expect(fd).toBeGreaterThan(0);
    expect(String(conn)).toBe('<socket.socket [closed] fd=-1, family=2, type=1, proto=0>');
    const s = socket();
    s[Symbol.dispose]();
    expect(s.fileno()).toBe(-1);
  });

  it('every call on a closed socket raises EBADF', async () => {
    const [conn] = await accepted();
    conn.close();
    const ebadf = expect.objectContaining({ name: 'OSError', ...oserror(E.EBADF, 'Bad file descriptor') });
    expect(() => conn.bind(['127.0.0.1', 0])).toThrow(ebadf);
    expect(() => conn.setblocking(false)).toThrow(ebadf);
    expect(() => conn.getsockname()).toThrow(ebadf);
    expect(() => conn.getpeername()).toThrow(ebadf);
    await expect(conn.listen()).rejects.toEqual(ebadf);
    await expect(conn.accept()).rejects.toEqual(ebadf);
    await expect(conn.recv(1)).rejects.toEqual(ebadf);
    await expect(conn.send(Buffer.from('x'))).rejects.toEqual(ebadf);
    await expect(conn.sendall(Buffer.from('x'))).rejects.toEqual(ebadf);
    await expect(conn.connect(['127.0.0.1', 1])).rejects.toEqual(ebadf);
  });

  it('the peer sees the end of the stream after close()', async () => {
    const [conn, client] = await accepted();
    const reading = readAll(client);
    await conn.sendall(Buffer.from('bye'));
    conn.close();
    expect((await reading).toString()).toBe('bye');
  });

  it('a blocked recv() rejects with EBADF when its socket is closed', async () => {
    const [conn] = await accepted();
    const pending = conn.recv(10);
    conn.close();
    await expect(pending).rejects.toMatchObject({ errno: E.EBADF });
  });
});

describe('misuse raises what Python raises', () => {
  it('bind twice, bind or listen on a connected socket: EINVAL', async () => {
    const s = track(socket());
    s.bind(['127.0.0.1', 0]);
    const einval = expect.objectContaining(oserror(E.EINVAL, 'Invalid argument'));
    expect(() => s.bind(['127.0.0.1', 0])).toThrow(einval);
    const [conn] = await accepted();
    expect(() => conn.bind(['127.0.0.1', 0])).toThrow(einval);
    await expect(conn.listen()).rejects.toEqual(einval);
  });

  it('accept on a socket that is not listening: EINVAL', async () => {
    const s = track(socket());
    s.setblocking(false);
    expect(() => s.accept()).toThrow(expect.objectContaining({ errno: E.EINVAL }));
  });

  it('recv and getpeername unconnected: ENOTCONN; send unconnected: BrokenPipeError', async () => {
    const s = track(socket());
    s.setblocking(false);
    const enotconn = expect.objectContaining(oserror(E.ENOTCONN, 'Transport endpoint is not connected'));
    expect(() => s.recv(1)).toThrow(enotconn);
    expect(() => s.getpeername()).toThrow(enotconn);
    expect(() => s.send(Buffer.from('x'))).toThrow(expect.objectContaining({ name: 'BrokenPipeError', ...oserror(E.EPIPE, 'Broken pipe') }));
    const [l] = await listener();
    l.setblocking(false);
    expect(() => l.recv(1)).toThrow(enotconn);
  });

  it('connect on a connected or listening socket: EISCONN', async () => {
    const [conn] = await accepted();
    const eisconn = { errno: E.EISCONN, message: `[Errno ${E.EISCONN}] Transport endpoint is already connected` };
    await expect(conn.connect(['127.0.0.1', 1])).rejects.toMatchObject(eisconn);
    const [l] = await listener();
    await expect(l.connect(['127.0.0.1', 1])).rejects.toMatchObject(eisconn);
  });

  it('bad arguments: ValueError, TypeError, RangeError', async () => {
    const [conn] = await accepted();
    conn.setblocking(false);
    expect(() => conn.recv(-1)).toThrow(new ValueError('negative buffersize in recv'));
    expect(() => conn.send('text' as unknown as Uint8Array)).toThrow(new TypeError("a bytes-like object is required, not 'string'"));
    const s = track(socket());
    expect(() => s.bind('127.0.0.1:80' as unknown as Address)).toThrow(new TypeError('AF_INET address must be a tuple, not string'));
    expect(() => s.bind(['127.0.0.1', 70000])).toThrow(new RangeError('bind(): port must be 0-65535.'));
    expect(() => s.bind(['127.0.0.1', 1.5])).toThrow(TypeError);
  });
});

describe('AF_INET6', () => {
  it('listens and connects over ::1', async () => {
    const s = track(socket(AF_INET6));
    s.bind(['::1', 0]);
    try {
      await s.listen();
    } catch (error) {
      if ((error as OSError).code === 'EADDRNOTAVAIL' || (error as OSError).code === 'EAFNOSUPPORT') return; // no IPv6 here
      throw error;
    }
    const port = s.getsockname()[1];
    const c = track(socket(AF_INET6));
    await c.connect(['::1', port]);
    const [conn, addr] = await s.accept();
    track(conn);
    expect(addr[0]).toBe('::1');
    await c.sendall(Buffer.from('six'));
    expect(Buffer.from(await conn.recv(10)).toString()).toBe('six');
  });
});
