// Python's socket module for TCP streams, on the core loop that serves HTTP. An accepted or
// connected socket is a WindowStream in RAW mode: its reads go to its window in the core's
// memory, the core reports READABLE (bytes waiting, or the peer's end), and recv() takes bytes
// out of the window. A listening socket is a pauseOnConnect net.Server whose connections wait in
// a queue until accept(). In blocking mode (the default) accept/recv/send/connect return Promises;
// after setblocking(false) they return at once or throw BlockingIOError, as Python's do.

import dns from 'node:dns/promises';
import net from 'node:net';
import { inspect } from 'node:util';
import { openStream as openRaw, type RawStream } from './binding/raw-stream.js';
import type { AcceptedSocket } from './binding/stream.js';
import { fromNode, oserror, ValueError } from './oserror.js';

export { OSError, BlockingIOError, ConnectionError, BrokenPipeError, ConnectionAbortedError, ConnectionRefusedError, ConnectionResetError, gaierror, ValueError } from './oserror.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;

/** `[host, port]`, Python's address tuple (also for AF_INET6: no flowinfo or scope id). */
export type Address = [host: string, port: number];

/** send() queues at most this much unsent output; a socket below it is writable. */
export const HIGH_WATER = 64 * 1024;
const READ = 1;
const WRITE = 2;

/** A raw stream for a socket; EMFILE when every connection slot of the shared core is taken. */
function openStream(wake: () => void, accepted?: AcceptedSocket): RawStream {
  const stream = openRaw(wake, accepted);
  if (stream === null) throw oserror('EMFILE');
  return stream;
}

// Readiness, for wasgi/selectors.

/** Something told when a socket's readiness may have changed. */
export interface Watcher {
  wake(fd: number): void;
}

const sockets = new Map<number, Socket>();
const watchers = new Map<number, Set<Watcher>>();
let nextFd = 3;
let readinessOf!: (socket: Socket) => number;

/** @internal How wasgi/selectors sees sockets: by file number. */
export const _poller = {
  /** EVENT_READ | EVENT_WRITE bits that are ready now (0 for no open socket). */
  ready(fd: number): number {
    const socket = sockets.get(fd);
    return socket === undefined ? 0 : readinessOf(socket);
  },
  /** False when fd is not an open socket. */
  watch(fd: number, watcher: Watcher): boolean {
    if (!sockets.has(fd)) return false;
    let set = watchers.get(fd);
    if (set === undefined) watchers.set(fd, (set = new Set()));
    set.add(watcher);
    return true;
  },
  unwatch(fd: number, watcher: Watcher): void {
    watchers.get(fd)?.delete(watcher);
  },
};

// Addresses.

function anyHost(family: number): string {
  return family === AF_INET6 ? '::' : '0.0.0.0';
}

function checkAddress(address: unknown, family: number, op: string): Address {
  const kind = family === AF_INET6 ? 'AF_INET6' : 'AF_INET';
  if (!Array.isArray(address)) throw new TypeError(`${kind} address must be a tuple, not ${typeof address}`);
  const [host, port] = address as unknown[];
  if (typeof host !== 'string') throw new TypeError(`str, bytes or bytearray expected, not ${typeof host}`);
  if (typeof port !== 'number' || !Number.isInteger(port)) throw new TypeError(`'${typeof port}' object cannot be interpreted as an integer`);
  if (port < 0 || port > 65535) throw new RangeError(`${op}(): port must be 0-65535.`);
  // '' is INADDR_ANY; localhost is settled here so getsockname() shows an address at once.
  if (host === '') return [anyHost(family), port];
  if (host === 'localhost') return [family === AF_INET6 ? '::1' : '127.0.0.1', port];
  return [host, port];
}

async function resolve(host: string, family: number): Promise<string> {
  if (net.isIP(host) !== 0) return host;
  return (await dns.lookup(host, { family: family === AF_INET6 ? 6 : 4 })).address;
}

function python(address: Address): string {
  return `('${address[0]}', ${address[1]})`;
}

/** Python's socket.socket(family, type). */
export function socket(family: number = AF_INET, type: number = SOCK_STREAM): Socket {
  return new Socket(family, type);
}

export class Socket {
  readonly family: number;
  readonly type: number;
  readonly proto = 0;
  #fd: number;
  #closed = false;
  #blocking = true;
  #bound: Address | null = null;
  #server: net.Server | null = null;
  #listened: Promise<void> | null = null;
  #pending: AcceptedSocket[] = [];
  #stream: RawStream | null = null;
  #connecting = false;
  /** A connection error not yet raised (a failed non-blocking connect, a reset). */
  #error: Error | null = null;
  #local: Address | null = null;
  #peer: Address | null = null;
  #waiters: (() => void)[] = [];

  static {
    readinessOf = (s) => s.#readiness();
  }

  constructor(family: number = AF_INET, type: number = SOCK_STREAM) {
    if (family !== AF_INET && family !== AF_INET6) throw oserror('EAFNOSUPPORT');
    if (type !== SOCK_STREAM) throw oserror('ESOCKTNOSUPPORT');
    this.family = family;
    this.type = type;
    this.#fd = nextFd++;
    sockets.set(this.#fd, this);
  }

  /** A stable small id for this socket (not an OS descriptor); -1 once closed. */
  fileno(): number {
    return this.#fd;
  }

  setblocking(flag: boolean): void {
    this.#open();
    this.#blocking = Boolean(flag);
  }

  getblocking(): boolean {
    this.#open();
    return this.#blocking;
  }

  bind(address: Address): void {
    this.#open();
    const checked = checkAddress(address, this.family, 'bind');
    if (this.#bound !== null || this.#server !== null || this.#stream !== null) throw oserror('EINVAL');
    this.#bound = checked;
  }

  /**
   * Binds (Node binds and listens in one step) and listens; settles once listening, or rejects
   * with EADDRINUSE and the like. Connections wait in this socket's queue until accept().
   */
  listen(backlog = 128): Promise<void> {
    try {
      this.#open();
      if (this.#stream !== null) throw oserror('EINVAL');
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#listened !== null) return this.#listened;
    const [host, port] = this.#bound ?? [anyHost(this.family), 0];
    const server = net.createServer({ pauseOnConnect: true }, (raw) => {
      raw.on('error', () => { /* reported once accepted */ });
      this.#pending.push(raw as AcceptedSocket);
      this.#wake();
    });
    this.#server = server;
    this.#listened = (async () => {
      const ip = await resolve(host, this.family);
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen({ host: ip, port, backlog: Math.max(0, backlog) }, () => {
          server.off('error', fail);
          server.on('error', () => { /* a listening socket has no one to tell */ });
          done();
        });
      });
      const a = server.address() as net.AddressInfo;
      this.#local = [a.address, a.port];
      if (this.#closed) server.close();
    })().catch((error: unknown) => {
      if (this.#server === server) {
        this.#server = null;
        this.#listened = null;
      }
      throw fromNode(error);
    });
    return this.#listened;
  }

  /** `[conn, address]`; the new socket is in blocking mode. */
  accept(): [Socket, Address] | Promise<[Socket, Address]> {
    return this.#op(() => {
      this.#open();
      if (this.#server === null) throw oserror('EINVAL');
      let raw: AcceptedSocket | undefined;
      while ((raw = this.#pending.shift()) !== undefined && raw._handle === null);
      if (raw === undefined) return null;
      const peer: Address = [raw.remoteAddress ?? '', raw.remotePort ?? 0];
      const local: Address = [raw.localAddress ?? '', raw.localPort ?? 0];
      const conn = new Socket(this.family, this.type);
      try {
        conn.#attach(openStream(() => conn.#wake(), raw));
      } catch (error) {
        raw.destroy();
        conn.close();
        throw error;
      }
      conn.#local = local;
      conn.#peer = peer;
      return [conn, peer];
    });
  }

  /**
   * Blocking: settles once connected (ConnectionRefusedError and the like reject). Non-blocking:
   * throws BlockingIOError (EINPROGRESS); the socket becomes writable once connected, and a
   * failure is raised by the next recv() or send().
   */
  connect(address: Address): Promise<void> {
    if (!this.#blocking) {
      this.#connect(address);
      throw oserror('EINPROGRESS');
    }
    return this.#wait(() => {
      this.#connect(address);
      return null;
    }, () => {
      this.#raisePending();
      return this.#connecting ? null : undefined;
    });
  }

  /** Up to bufsize bytes; empty at the end of the stream. */
  recv(bufsize: number): Uint8Array | Promise<Uint8Array> {
    return this.#op(() => {
      this.#open();
      if (!Number.isInteger(bufsize)) throw new TypeError(`'${typeof bufsize}' object cannot be interpreted as an integer`);
      if (bufsize < 0) throw new ValueError('negative buffersize in recv');
      this.#raisePending();
      const stream = this.#stream;
      if (stream === null) throw oserror('ENOTCONN');
      if (this.#connecting) return null;
      if (stream.closed || bufsize === 0) return Buffer.alloc(0);
      stream.sync();
      const available = stream.available();
      if (available > 0) return stream.take(Math.min(bufsize, available));
      return stream.eof ? Buffer.alloc(0) : null;
    });
  }

  /** Queues as much of data as fits below the high-water mark; returns how many bytes it took. */
  send(data: Uint8Array): number | Promise<number> {
    return this.#op(() => this.#send(data));
  }

  /** Settles once all of data is queued (waits for room in either mode, unlike Python). */
  async sendall(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) throw new TypeError(`a bytes-like object is required, not '${typeof data}'`);
    let sent = 0;
    do sent += await this.#wait(() => this.#send(data.subarray(sent)));
    while (sent < data.length);
  }

  getsockname(): Address {
    this.#open();
    return [...(this.#local ?? this.#bound ?? [anyHost(this.family), 0])];
  }

  getpeername(): Address {
    this.#open();
    if (this.#peer === null || this.#connecting) throw oserror('ENOTCONN');
    return [...this.#peer];
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    sockets.delete(this.#fd);
    watchers.delete(this.#fd);
    this.#fd = -1;
    if (this.#server !== null && this.#server.listening) this.#server.close();
    for (const raw of this.#pending.splice(0)) raw.destroy();
    this.#stream?.shut();
    // Blocked calls wake up to raise EBADF.
    this.#wake();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    if (this.#closed) return `<socket.socket [closed] fd=-1, family=${this.family}, type=${this.type}, proto=0>`;
    const peer = this.#peer !== null && !this.#connecting ? `, raddr=${python(this.#peer)}` : '';
    return `<socket.socket fd=${this.#fd}, family=${this.family}, type=${this.type}, proto=0, laddr=${python(this.getsockname())}${peer}>`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  #open(): void {
    if (this.#closed) throw oserror('EBADF');
  }

  #connect(address: Address): void {
    this.#open();
    if (this.#connecting) throw oserror('EALREADY');
    if (this.#stream !== null || this.#server !== null) throw oserror('EISCONN');
    const [host, port] = checkAddress(address, this.family, 'connect');
    this.#error = null;
    const stream = openStream(() => this.#wake());
    this.#attach(stream);
    this.#connecting = true;
    const socket = stream.socket;
    socket.once('connect', () => {
      this.#connecting = false;
      this.#local = [socket.localAddress ?? '', socket.localPort ?? 0];
      this.#peer = [socket.remoteAddress ?? '', socket.remotePort ?? 0];
      this.#wake();
    });
    const bound = this.#bound;
    socket.connect({
      host, port,
      family: this.family === AF_INET6 ? 6 : 4,
      ...(bound ? { localAddress: bound[0], localPort: bound[1] } : {}),
    });
  }

  #attach(stream: RawStream): void {
    this.#stream = stream;
    stream.socket.once('close', () => {
      if (this.#stream !== stream || stream.orphaned) return;
      if (this.#connecting) {
        // A failed connect leaves the socket unconnected, with the error to raise.
        this.#connecting = false;
        this.#stream = null;
        this.#error = fromNode(stream.error ?? oserror('ECONNREFUSED'));
      } else if (stream.error !== null) {
        this.#error = fromNode(stream.error);
      }
      this.#wake();
    });
  }

  #raisePending(): void {
    const error = this.#error;
    if (error === null) return;
    // Like SO_ERROR, a connection error is raised once.
    this.#error = null;
    throw error;
  }

  #send(data: Uint8Array): number | null {
    this.#open();
    if (!(data instanceof Uint8Array)) throw new TypeError(`a bytes-like object is required, not '${typeof data}'`);
    this.#raisePending();
    const stream = this.#stream;
    if (stream === null) throw oserror('EPIPE');
    if (this.#connecting) return null;
    if (stream.closed) throw oserror('EPIPE');
    if (data.length === 0) return 0;
    const room = HIGH_WATER - stream.socket.writableLength;
    if (room <= 0) return null;
    const n = Math.min(room, data.length);
    // Copied: the caller may reuse its buffer once send() returns, as with the kernel's.
    stream.socket.write(Buffer.from(data.subarray(0, n)));
    return n;
  }

  /** Runs attempt now (non-blocking: null becomes EAGAIN) or until it proceeds (blocking). */
  #op<T>(attempt: () => T | null): T | Promise<T> {
    if (this.#blocking) return this.#wait(attempt);
    const result = attempt();
    if (result === null) throw oserror('EAGAIN');
    return result;
  }

  /** Settles with the first non-null result: attempt now, then `then` (or attempt) after each wake. */
  async #wait<T>(attempt: () => T | null, then: (() => T | null) | null = null): Promise<T> {
    let result = attempt();
    while (result === null) {
      await new Promise<void>((wake) => this.#waiters.push(wake));
      result = (then ?? attempt)();
    }
    return result;
  }

  /** Readiness may have changed: blocked calls retry, selectors look again. */
  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
    const fd = this.#fd;
    const set = watchers.get(fd);
    if (set !== undefined) for (const watcher of set) watcher.wake(fd);
  }

  /** READ when recv/accept would not block, WRITE when send would not (errors count as ready). */
  #readiness(): number {
    if (this.#closed) return 0;
    if (this.#error !== null) return READ | WRITE;
    if (this.#server !== null) {
      while (this.#pending.length > 0 && this.#pending[0]._handle === null) this.#pending.shift();
      return this.#pending.length > 0 ? READ : 0;
    }
    const stream = this.#stream;
    // Unconnected: every call fails at once (Linux polls such a socket as EPOLLOUT | EPOLLHUP).
    if (stream === null || stream.closed) return READ | WRITE;
    if (this.#connecting) return 0;
    let ready = 0;
    if (stream.eof || stream.available() > 0) ready |= READ;
    if (stream.socket.writableLength < HIGH_WATER) ready |= WRITE;
    return ready;
  }
}
