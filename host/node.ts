// The Node host: a net.Server whose accepted sockets read straight into the core's windows.
// Reads only queue events; one flush per event-loop turn hands them all to the core in one run()
// and takes its actions: call the application, feed request bodies, write error answers, close.

import net from 'node:net';
import { Core, E_SERVICE_UNAVAILABLE, F_EXPECT_CONTINUE, F_HAS_BODY, REC_FLAGS, type Limits, type Head } from '../src/core.js';
import { buildEnviron, environKeys, type EnvironContext } from '../src/environ.js';
import { ErrorLog, type LogSink } from '../src/errors.js';
import { Input, RequestBodyError } from '../src/input.js';
import { Exchange, type Channel } from '../src/response.js';
import { fileWrapper } from '../src/filewrapper.js';
import type { Application, HeaderList } from '../src/types.js';

export interface ServerOptions extends Partial<Limits> {
  /** Where errors and wsgi.errors go: a stream or a function (default: process.stderr). */
  errorLog?: LogSink;
  /** Listen backlog (default 511). */
  backlog?: number;
  /** Value of wsgi.multiprocess (set by the cluster launcher). */
  multiprocess?: boolean;
}

/** The parts of libuv's stream handle the host drives directly. */
interface StreamHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

type RawSocket = net.Socket & { _handle: StreamHandle | null };

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
const LINGER_MS = 2000;

class Connection implements Channel {
  readonly socket: net.Socket;
  readonly handle: StreamHandle;
  readonly window: number;
  readOffset = 0;
  /** The batch in which this connection's READ event was queued, and its index there. */
  readBatch = -1;
  readIndex = 0;
  full = false;
  waitingDrain = false;
  closed = false;
  ending = false;
  corked = false;
  exchange: Exchange | null = null;
  private drainWaiters: (() => void)[] = [];
  private doneAfterDrain = -1;
  readonly environContext: EnvironContext;

  constructor(private readonly server: Server, readonly id: number, raw: RawSocket) {
    const core = server.core;
    this.window = core.windowAddress(id);
    this.handle = raw._handle as StreamHandle;
    // Re-wrap the accepted handle so that libuv reads into the window (onread with a buffer).
    this.socket = new net.Socket({
      handle: raw._handle,
      allowHalfOpen: true,
      onread: { buffer: () => this.nextBuffer(), callback: (n: number) => this.onRead(n) },
    } as net.SocketConstructorOpts);
    this.socket.setNoDelay(true);
    this.environContext = {
      ...server.environBase,
      remoteAddr: raw.remoteAddress ?? '',
      remotePort: String(raw.remotePort ?? ''),
    };
    this.socket.on('end', () => server.queue(core.EV_EOF, this, 0));
    this.socket.on('error', () => { /* 'close' follows; the error is the peer's */ });
    this.socket.on('drain', () => this.onDrain());
    this.socket.on('close', () => {
      this.closed = true;
      // Hand the net.Server's bookkeeping back to the socket it accepted.
      raw._handle = null;
      raw.destroy();
      for (const wake of this.drainWaiters.splice(0)) wake();
      server.queue(core.EV_CLOSED, this, 0);
      server.forget(this);
    });
  }

  /** The free part of the window, where the kernel puts the next read. */
  private nextBuffer(): Uint8Array {
    const core = this.server.core;
    const free = core.windowSize - this.readOffset;
    return new Uint8Array(core.memory, this.window + (free > 0 ? this.readOffset : 0), free > 0 ? free : core.windowSize);
  }

  private onRead(n: number): boolean {
    this.readOffset += n;
    this.server.queueRead(this);
    if (this.readOffset >= this.server.core.windowSize) {
      this.full = true;
      return false;
    }
    return true;
  }

  rearm(fill: number, resume: boolean): void {
    if (this.closed) return;
    this.readOffset = fill;
    this.handle.useUserBuffer(this.nextBuffer());
    if (resume) this.full = false;
    this.updateReading();
  }

  private updateReading(): void {
    if (this.closed) return;
    const want = !this.full && !this.waitingDrain;
    if (want && !this.handle.reading) {
      this.handle.reading = true;
      this.handle.readStart();
    } else if (!want && this.handle.reading) {
      this.handle.reading = false;
      this.handle.readStop();
    }
  }

  private onDrain(): void {
    this.waitingDrain = false;
    for (const wake of this.drainWaiters.splice(0)) wake();
    if (this.doneAfterDrain >= 0) {
      const mustClose = this.doneAfterDrain === 1;
      this.doneAfterDrain = -1;
      this.server.queue(this.server.core.EV_DONE, this, mustClose ? 1 : 0);
    }
    this.updateReading();
  }

  // Channel: what an Exchange needs.

  get log(): ErrorLog {
    return this.server.log;
  }

  head(status: string, headers: HeaderList, bodyLength: number): Head {
    return this.server.core.serializeHead(this.id, status, headers, bodyLength, this.server.now());
  }

  errorResponse(code: number): Buffer {
    return this.server.core.errorResponse(this.id, code, this.server.now());
  }

  send(bytes: Uint8Array): boolean {
    if (this.closed || this.ending) return true;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      this.server.uncorkLater(this);
    }
    const ok = this.socket.write(bytes);
    if (!ok && !this.waitingDrain) {
      // A client that does not read its responses is not read from either.
      this.waitingDrain = true;
      this.updateReading();
    }
    return ok;
  }

  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  drained(): Promise<void> {
    if (!this.waitingDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  sendContinue(): void {
    this.send(CONTINUE);
    this.server.uncorkAll();
  }

  finish(mustClose: boolean): void {
    this.exchange = null;
    if (this.closed) return;
    // The next pipelined request waits until this response has drained.
    if (this.waitingDrain) this.doneAfterDrain = mustClose ? 1 : 0;
    else this.server.queue(this.server.core.EV_DONE, this, mustClose ? 1 : 0);
  }

  abort(): void {
    // What was already written goes out; the short response tells the client it failed.
    this.exchange = null;
    if (this.corked) this.uncork();
    this.end();
  }

  /** Ends the write side after pending writes; lingers reading so the client sees the answer. */
  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    this.socket.end();
    if (this.socket.readableEnded) this.destroy();
    else {
      this.socket.once('end', () => this.destroy());
      setTimeout(() => this.destroy(), LINGER_MS).unref();
    }
  }

  destroy(): void {
    if (!this.closed) this.socket.destroy();
  }
}

export class Server {
  readonly core: Core;
  readonly log: ErrorLog;
  readonly environBase: Omit<EnvironContext, 'remoteAddr' | 'remotePort'>;
  private readonly keys: string[];
  private readonly net: net.Server;
  private readonly conns = new Set<Connection>();
  private readonly byId: (Connection | undefined)[] = [];
  readonly corked: Connection[] = [];
  private pendingApps: Exchange[] = [];
  private flushScheduled = false;
  private flushing = false;
  private uncorkQueued = false;
  private batch = 0;
  private address: [string, number];
  private stopped: Promise<void>;
  private resolveStopped!: () => void;
  private clock = 0;
  private clockAt = 0;

  constructor(host: string, port: number, private readonly app: Application, options: ServerOptions = {}) {
    if (typeof app !== 'function') throw new TypeError('wasgi: the application must be a function (environ, startResponse)');
    this.core = new Core(options);
    this.log = new ErrorLog(options.errorLog);
    this.keys = environKeys(this.core.fieldNames);
    this.address = [host, port];
    this.environBase = {
      serverName: host,
      serverPort: String(port),
      urlScheme: 'http',
      multiprocess: options.multiprocess ?? false,
      errors: this.log.stream,
      fileWrapper,
    };
    this.stopped = new Promise((resolve) => { this.resolveStopped = resolve; });
    this.net = net.createServer({ pauseOnConnect: true }, (raw) => this.accept(raw as RawSocket));
    // Errors before listening reject listen(); after, they are logged.
    this.net.on('error', (error) => { if (this.net.listening) this.log.error('listening socket error', error); });
  }

  /** [host, port] the server listens on (the real port once listening). */
  get serverAddress(): [string, number] {
    return this.address;
  }

  listen(backlog = 511): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.net.once('error', onError);
      this.net.listen({ host: this.address[0], port: this.address[1], backlog }, () => {
        this.net.off('error', onError);
        const a = this.net.address() as net.AddressInfo;
        this.address = [this.address[0], a.port];
        (this.environBase as { serverPort: string }).serverPort = String(a.port);
        resolve();
      });
    });
  }

  /** Settles when the server has shut down. */
  serveForever(): Promise<void> {
    return this.stopped;
  }

  /** Stops accepting and closes every connection. */
  async shutdown(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.net.listening) resolve();
      else this.net.close(() => resolve());
      for (const conn of this.conns) conn.destroy();
    });
    this.resolveStopped();
  }

  /** Seconds since the epoch, read from the clock at most once per flush. */
  now(): number {
    if (this.clockAt !== this.batch) {
      this.clockAt = this.batch;
      this.clock = Math.floor(Date.now() / 1000);
    }
    return this.clock;
  }

  private accept(raw: RawSocket): void {
    const id = this.core.openConnection();
    if (id < 0 || raw._handle === null) {
      // All connection slots are taken: answer and close rather than keep the client waiting.
      raw.end(this.core.errorResponse(-1, E_SERVICE_UNAVAILABLE, this.now()));
      raw.resume();
      return;
    }
    const conn = new Connection(this, id, raw);
    this.byId[id] = conn;
    this.conns.add(conn);
    conn.socket.resume();
  }

  forget(conn: Connection): void {
    this.conns.delete(conn);
    conn.exchange = null;
  }

  queueRead(conn: Connection): void {
    if (conn.readBatch === this.batch) {
      this.core.setEventArg(conn.readIndex, conn.readOffset);
      return;
    }
    conn.readBatch = this.batch;
    conn.readIndex = this.queue(this.core.EV_READ, conn, conn.readOffset);
  }

  queue(type: number, conn: Connection, arg: number): number {
    if (this.core.eventCount >= this.core.eventCapacity) throw new Error('wasgi: event queue overflow');
    const index = this.core.push(type, conn.id, arg);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
    return index;
  }

  /** Runs the core over every queued event, takes its actions, repeats while apps finish at once. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    this.flushing = true;
    const core = this.core;
    try {
      while (core.eventCount > 0) {
        this.batch++;
        core.refresh();
        const count = core.run();
        for (let i = 0; i < count; i++) this.act(i);
        const apps = this.pendingApps;
        this.pendingApps = [];
        for (const exchange of apps) exchange.run();
      }
    } finally {
      this.batch++;
      this.flushing = false;
      this.uncorkAll();
    }
  };

  /**
   * Writes of one flush leave in one writev at its end; writes from applications that answer
   * later (async) are gathered until their synchronous run ends, in a microtask.
   */
  uncorkLater(conn: Connection): void {
    this.corked.push(conn);
    if (!this.flushing && !this.uncorkQueued) {
      this.uncorkQueued = true;
      queueMicrotask(this.uncorkAll);
    }
  }

  readonly uncorkAll = (): void => {
    this.uncorkQueued = false;
    for (const conn of this.corked) conn.uncork();
    this.corked.length = 0;
  };

  private act(i: number): void {
    const core = this.core;
    const type = core.actionWord(i, 0);
    const conn = this.byId[core.actionWord(i, 1)];
    if (conn === undefined || conn.closed) return;
    const a = core.actionWord(i, 2);
    const b = core.actionWord(i, 3);
    switch (type) {
      case core.ACT_CALL_APP: {
        const input = new Input();
        const flags = core.words[core.recordWord(conn.id) + REC_FLAGS];
        if ((flags & F_HAS_BODY) === 0) input.end();
        const environ = buildEnviron(core, this.keys, conn.id, conn.environContext, input);
        const exchange = new Exchange(this.app, environ, input, conn, (flags & F_EXPECT_CONTINUE) !== 0);
        conn.exchange = exchange;
        this.pendingApps.push(exchange);
        break;
      }
      case core.ACT_BODY: {
        const bytes = Buffer.allocUnsafe(b);
        core.bytes.copy(bytes, 0, a, a + b);
        conn.exchange?.input.push(bytes);
        break;
      }
      case core.ACT_BODY_END: {
        const input = conn.exchange?.input;
        if (input === undefined) break;
        if (a === 0) input.end();
        else if (a === 1) input.fail(new RequestBodyError('the client closed the connection before the body was complete', 0, 400));
        else input.fail(new RequestBodyError(`request body rejected: ${core.errorReasons[b]}`, b, core.errorStatuses[b]));
        break;
      }
      case core.ACT_ERROR:
        // With an application running, its input has failed and it answers; otherwise we do.
        if (conn.exchange !== null) break;
        conn.send(core.errorResponse(conn.id, a, this.now()));
        this.log.log('debug', `${conn.environContext.remoteAddr}: ${core.errorStatuses[a]} ${core.errorReasons[a]}`);
        conn.end();
        break;
      case core.ACT_CLOSE:
        conn.end();
        break;
      case core.ACT_REARM:
        conn.rearm(a, b === 1);
        break;
    }
  }
}

/** Creates a server bound to host:port (port 0 picks a free one); call serveForever() to run. */
export async function makeServer(host: string, port: number, app: Application, options: ServerOptions = {}): Promise<Server> {
  const server = new Server(host, port, app, options);
  await server.listen(options.backlog);
  return server;
}

export interface ServeOptions extends ServerOptions {
  host?: string;
  port?: number;
}

/** Serves `app` on options.host:options.port (default 127.0.0.1:8000); resolves once listening. */
export async function serve(app: Application, options: ServeOptions = {}): Promise<Server> {
  return makeServer(options.host ?? '127.0.0.1', options.port ?? 8000, app, options);
}
