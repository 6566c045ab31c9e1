// The Node host: a net.Server whose accepted sockets read into the core's windows (through its
// landing zone).
// Reads only queue events; one flush per event-loop turn hands them all to the core in one run()
// and takes its actions: call the application, feed request bodies, write error answers, close.

import net from 'node:net';
import { E_SERVICE_UNAVAILABLE, F_EXPECT_CONTINUE, F_HAS_BODY, type Core, type Head } from '../src/core.js';
import { RequestRecord } from '../src/record.js';
import { BODY_COMPLETE, BODY_CUT_SHORT, EV_ADMIT } from '../src/contract.generated.js';
import { buildEnviron, environKeys, type EnvironContext } from '../src/environ.js';
import { ErrorLog, type LogSink } from '../src/errors.js';
import { Input, RequestBodyError } from '../src/input.js';
import { Exchange, type Channel } from '../src/response.js';
import { fileWrapper } from '../src/filewrapper.js';
import { CoreLoop, type Coalesced, type LoopHandler } from '../src/binding/loop.js';
import { WindowStream, type ConnectionHandle } from '../src/binding/stream.js';
import { WaitingRoom } from './waiting.js';
import { AccessLog, accessRecord, rejectionRecord, type AccessRecord } from './accesslog.js';
import { applyForwarded, TrustedProxies } from './forwarded.js';
import { LogFile } from './logfile.js';
import { limitsOf, settingsFromOptions, type Bind, type Settings, type SettingsInput } from './settings.js';
import type { Application, HeaderList } from '../src/types.js';

/**
 * A server's options: the settings of the command, by the same names and in the same units
 * (durations in seconds), so a config file's object can be given as it is, and these for code.
 */
export interface ServerOptions extends SettingsInput {
  /** Where errors and wsgi.errors go: a stream or a function (default: errorLogfile, else process.stderr). */
  errorLog?: LogSink;
  /** Value of wsgi.multiprocess (set by the cluster launcher). */
  multiprocess?: boolean;
  /**
   * Called once per finished (or aborted) response with what an access log line needs, the
   * server's own answers to requests it rejected included (`rejected`, with only what it knew);
   * instead of accessLogfile.
   */
  accessLog?: (record: AccessRecord) => void;
  /** Listen on a Unix socket or an inherited descriptor; host and port then only name the server. */
  listen?: { path: string } | { fd: number };
  /** @deprecated The same as keepAlive, but in milliseconds; use keepAlive (seconds). */
  keepAliveTimeout?: number;
}

/** The options that are not settings: code's own. */
const CODE_OPTIONS = ['errorLog', 'multiprocess', 'accessLog', 'listen', 'keepAliveTimeout', 'host', 'port'] as const;

let keepAliveTimeoutWarned = false;

/** The settings of `options`, validated, with the deprecated keepAliveTimeout taken as keepAlive. */
function serverSettings(options: ServerOptions): Settings {
  if (options.keepAliveTimeout !== undefined && options.keepAlive === undefined) {
    if (!keepAliveTimeoutWarned) {
      keepAliveTimeoutWarned = true;
      process.emitWarning('wasgi: the option keepAliveTimeout (milliseconds) is deprecated; use keepAlive, in seconds as every other duration', 'DeprecationWarning');
    }
    if (typeof options.keepAliveTimeout !== 'number' || !(options.keepAliveTimeout > 0)) {
      throw new TypeError(`wasgi: option keepAliveTimeout must be a positive number of milliseconds, got ${String(options.keepAliveTimeout)}`);
    }
    return settingsFromOptions({ ...options, keepAlive: options.keepAliveTimeout / 1000 }, CODE_OPTIONS);
  }
  return settingsFromOptions(options, CODE_OPTIONS);
}

/** What net.Server's listening handle calls for each accepted connection (status 0) or failure. */
interface ListeningHandle {
  onconnection(status: number, handle?: ConnectionHandle): void;
}

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/** One HTTP connection: a window stream that carries requests to the application. */
class Connection extends WindowStream implements Channel {
  exchange: Exchange | null = null;
  private doneAfterDrain = -1;
  readonly environContext: EnvironContext;
  /** When the exchange being answered was handed over (Date.now(), performance.now()), for the access log. */
  private accessStart = 0;
  private accessT0 = 0;
  /** The peer is a trusted proxy: its forwarded headers are believed. */
  readonly trustsProxy: boolean;

  constructor(private readonly server: Server, id: number, handle: ConnectionHandle) {
    super(server.loop, id, handle);
    this.socket.setNoDelay(true);
    // The server's part is read through, so a change of it (wsgi.multiprocess) reaches open connections.
    this.environContext = Object.assign(Object.create(server.environBase) as EnvironContext, {
      remoteAddr: this.socket.remoteAddress ?? '',
      remotePort: String(this.socket.remotePort ?? ''),
    });
    this.trustsProxy = server.proxies.trusts(this.environContext.remoteAddr);
  }

  protected override onClose(): void {
    this.exchange?.clientLeft();
    this.logAccess();
    this.exchange = null;
    this.server.forget(this);
  }

  /**
   * A FIN while an application works on a request that came before it: the client has left (as
   * node:http and uvicorn take it), so a long poll or a stream does not hold the connection for
   * ever. A request that arrived with the FIN (a half-closing client) is still answered.
   */
  protected override onPeerEnd(): void {
    this.exchange?.clientLeft();
  }

  protected override onDrained(): void {
    if (this.closed) return;
    if (this.doneAfterDrain >= 0) {
      const mustClose = this.doneAfterDrain;
      this.doneAfterDrain = -1;
      this.loop.queue(this.loop.core.EV_DONE, this.id, mustClose);
    }
  }

  // Channel: what an Exchange needs.

  get log(): ErrorLog {
    return this.server.log;
  }

  // The core's connection id is reused once this socket has closed: nothing may reach it after.

  head(status: string, headers: HeaderList, bodyLength: number): Head {
    if (this.closed) throw new Error('wasgi: the connection is closed');
    return this.loop.core.serializeHead(this.id, status, headers, bodyLength, this.loop.now());
  }

  errorResponse(code: number): Buffer {
    if (this.closed) throw new Error('wasgi: the connection is closed');
    return this.loop.core.errorResponse(this.id, code, this.loop.now());
  }

  errorStatus(code: number): number {
    return this.loop.core.errorStatuses[code];
  }

  sendContinue(): void {
    super.send(CONTINUE);
    this.uncork();
  }

  /** The exchange was handed to the application now (only followed when there is an access log). */
  started(): void {
    this.accessStart = Date.now();
    this.accessT0 = performance.now();
  }

  /** Logs the current exchange's response, once (finish, abort and close all come here). */
  private logAccess(): void {
    const exchange = this.exchange;
    const log = this.server.accessLog;
    const start = this.accessStart;
    if (exchange === null || log === undefined || start === 0) return;
    this.accessStart = 0;
    log(accessRecord(exchange.environ, exchange, start, this.accessT0));
  }

  finish(mustClose: boolean): void {
    this.logAccess();
    this.exchange = null;
    this.hold(false);
    if (this.closed) return;
    // The next pipelined request waits until this response has drained.
    if (this.waitingDrain) this.doneAfterDrain = mustClose ? 1 : 0;
    else this.loop.queue(this.loop.core.EV_DONE, this.id, mustClose ? 1 : 0);
  }

  abort(): void {
    // What was already written goes out; the short response tells the client it failed.
    this.logAccess();
    this.exchange = null;
    this.hold(false);
    this.end();
  }
}

export class Server {
  readonly loop: CoreLoop;
  readonly core: Core;
  readonly log: ErrorLog;
  readonly environBase: Omit<EnvironContext, 'remoteAddr' | 'remotePort'>;
  readonly accessLog: ((record: AccessRecord) => void) | undefined;
  /** The settings this server runs with (every option validated, defaults filled in). */
  readonly settings: Settings;
  /** Log files it opened itself (errorLogfile, accessLogfile), closed at shutdown. */
  private readonly files: LogFile[] = [];
  readonly proxies: TrustedProxies;
  private readonly listenOn: { path: string } | { fd: number } | undefined;
  private readonly keys: string[];
  private readonly net: net.Server;
  private readonly conns = new Set<Connection>();
  private readonly byId: (Connection | undefined)[] = [];
  private pendingApps: Exchange[] = [];
  /** Connections that arrived while every slot was taken. */
  private readonly waiting: WaitingRoom;
  /** The waiting room overflowed and has not been empty since (its warning is logged once). */
  private refusing = false;
  /** Where this run's ADMIT event stands. */
  private readonly admitEvent: Coalesced = { eventBatch: -1, eventIndex: 0 };
  private address: [string, number];
  private stopped: Promise<void>;
  private resolveStopped!: () => void;

  constructor(host: string, port: number, private readonly app: Application, options: ServerOptions = {}) {
    if (typeof app !== 'function') throw new TypeError('wasgi: the application must be a function (environ, startResponse)');
    const s = serverSettings(options);
    this.settings = s;
    this.loop = new CoreLoop<Connection>(limitsOf(s), this.actions());
    this.core = this.loop.core;
    this.waiting = new WaitingRoom(s.backlog, this.core.limits.headerTimeout);
    let errorLog = options.errorLog;
    if (errorLog === undefined && s.errorLogfile !== '-') {
      const file = new LogFile('error log', s.errorLogfile, 'stderr');
      this.files.push(file);
      errorLog = file.write;
    }
    this.log = new ErrorLog(errorLog, s.logLevel);
    this.accessLog = options.accessLog;
    if (this.accessLog === undefined && s.accessLogfile !== null) {
      const access = new AccessLog(s.accessLogfile, s.accessLogformat, (message) => this.log.log('error', message));
      this.files.push(access.file);
      this.accessLog = access.write;
    }
    this.keys = environKeys(this.core.fieldNames);
    this.proxies = new TrustedProxies(s.forwardedAllowIps);
    this.listenOn = options.listen;
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
    this.net = net.createServer();
    // Errors before listening reject listen(); after, they are logged.
    this.net.on('error', (error) => { if (this.net.listening) this.log.error('listening socket error', error); });
  }

  /** Sets wsgi.multiprocess for the requests from now on (the command tells its workers when their number changes). */
  setMultiprocess(multiprocess: boolean): void {
    (this.environBase as { multiprocess: boolean }).multiprocess = multiprocess;
  }

  /** [host, port] the server listens on (the real port once listening). */
  get serverAddress(): [string, number] {
    return this.address;
  }

  listen(backlog = this.settings.backlog): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.net.once('error', onError);
      this.net.listen({ ...(this.listenOn ?? { host: this.address[0], port: this.address[1] }), backlog }, () => {
        this.net.off('error', onError);
        const a = this.net.address();
        if (a !== null && typeof a === 'object') {
          // A server given no name (an inherited descriptor) is named by its address.
          this.address = [this.address[0] === '' ? a.address : this.address[0], a.port];
          (this.environBase as { serverName: string }).serverName = this.address[0];
          (this.environBase as { serverPort: string }).serverPort = String(a.port);
        }
        this.takeConnections();
        this.loop.startTicking();
        resolve();
      });
    });
  }

  /**
   * Closes the listening socket and nothing else: connections already accepted go on (a worker
   * of the command does this first when it stops: the connections still in the socket's backlog go
   * to the other workers, whose copies of the socket stay open).
   */
  stopAccepting(): void {
    if (this.net.listening) this.net.close();
  }

  /** Settles when the server has shut down. */
  serveForever(): Promise<void> {
    return this.stopped;
  }

  /**
   * Stops accepting and closes every connection. With `graceful` (ms), idle connections close at
   * once, requests in flight finish (their responses say `Connection: close`), and whatever is
   * left when the time is up is aborted.
   */
  async shutdown(options: { graceful?: number } = {}): Promise<void> {
    // Nothing was read from the waiting connections: they close as a listen backlog would.
    this.waiting.close();
    const listenerClosed = new Promise<void>((resolve) => {
      if (!this.net.listening) resolve();
      else this.net.close(() => resolve());
    });
    const graceful = options.graceful ?? 0;
    if (graceful > 0 && this.conns.size > 0) {
      this.loop.queue(this.core.EV_DRAIN, 0, 0);
      const until = Date.now() + graceful;
      // A connection is done once its last response and FIN are out (lingering needs no wait).
      const busy = (): boolean => [...this.conns].some((c) => !c.socket.writableFinished);
      while (busy() && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(20, until - Date.now())));
      }
    }
    for (const conn of this.conns) conn.destroy();
    await listenerClosed;
    this.loop.stopTicking();
    for (const file of this.files.splice(0)) file.close();
    this.resolveStopped();
  }

  /**
   * Takes accepted connections from the listening handle itself: net.Server would wrap each in a
   * net.Socket of its own, and a connection needs only the one that reads into its window.
   * Failures (EMFILE and the like) still go through net.Server, which reports them as 'error'.
   */
  private takeConnections(): void {
    const listening = (this.net as unknown as { _handle: ListeningHandle | null })._handle;
    if (listening === null) throw new Error('wasgi: the server is not listening');
    const report = listening.onconnection;
    listening.onconnection = (status: number, handle?: ConnectionHandle) => {
      if (status !== 0 || handle === undefined) report.call(listening, status, handle);
      else this.accept(handle);
    };
  }

  private accept(handle: ConnectionHandle): void {
    // A newcomer queues behind those already waiting.
    const id = this.waiting.size === 0 ? this.core.openConnection() : -1;
    if (id >= 0) {
      this.refusing = false;
      this.open(id, handle);
    } else if (this.waiting.add(handle)) {
      this.askForRoom();
    } else {
      this.refuse(handle);
    }
  }

  /**
   * Tells the core how many wait for a slot (ADMIT): it closes as many of the connections idle
   * longest. One event per run, carrying the latest count, as reads coalesce.
   */
  private askForRoom(): void {
    this.loop.queueLatest(this.admitEvent, EV_ADMIT, 0, this.waiting.size);
  }

  private open(id: number, handle: ConnectionHandle): void {
    const conn = new Connection(this, id, handle);
    this.byId[id] = conn;
    this.conns.add(conn);
    conn.socket.resume();
  }

  /** The waiting room is full too: answer and close rather than keep the client waiting. */
  private refuse(handle: ConnectionHandle): void {
    if (!this.refusing && this.net.listening) {
      this.refusing = true;
      this.log.log('warning', `all ${this.core.limits.maxConnections} connections are in use and ${this.waiting.capacity} more are waiting: answering 503 to newcomers until the waiting ones are served (maxConnections, backlog)`);
    }
    const socket = new net.Socket({ handle } as net.SocketConstructorOpts);
    socket.on('error', () => { /* the client is being turned away */ });
    const answer = this.core.errorResponse(-1, E_SERVICE_UNAVAILABLE, this.loop.now());
    socket.end(answer);
    this.accessLog?.(rejectionRecord({ ...this.environBase, remoteAddr: socket.remoteAddress ?? '', remotePort: String(socket.remotePort ?? '') }, this.core.errorStatuses[E_SERVICE_UNAVAILABLE], answer));
    socket.resume();
  }

  private afterActions(): void {
    this.runApps();
    // The run freed the slots of the connections that closed: the longest waiting take them.
    while (this.waiting.size > 0 && this.core.openConnections < this.core.limits.maxConnections) {
      const handle = this.waiting.take();
      if (handle === undefined) break;
      this.open(this.core.openConnection(), handle);
    }
  }

  forget(conn: Connection): void {
    this.conns.delete(conn);
    conn.exchange = null;
  }

  private runApps(): void {
    const apps = this.pendingApps;
    this.pendingApps = [];
    for (const exchange of apps) exchange.run();
  }

  /** What the server does with each of the core's actions. */
  private actions(): LoopHandler<Connection> {
    // Made before the loop (and so the core) exists: `this.core` is read when an action comes.
    return {
      connection: (id) => {
        const conn = this.byId[id];
        return conn === undefined || conn.closed ? undefined : conn;
      },
      callApp: (conn) => {
        const request = new RequestRecord(this.core, conn.id);
        const input = new Input();
        if ((request.flags & F_HAS_BODY) === 0) input.end();
        // A body the application is not reading stays in the client's buffers, not ours.
        else input.onPressure = (over) => conn.hold(over);
        const environ = buildEnviron(request, this.keys, conn.environContext, input);
        if (conn.trustsProxy) applyForwarded(environ, this.proxies, this.log);
        const exchange = new Exchange(this.app, environ, input, conn, (request.flags & F_EXPECT_CONTINUE) !== 0);
        conn.exchange = exchange;
        if (this.accessLog !== undefined) conn.started();
        this.pendingApps.push(exchange);
      },
      body: (conn, address, length) => {
        const bytes = Buffer.allocUnsafe(length);
        this.core.bytes.copy(bytes, 0, address, address + length);
        conn.exchange?.input.push(bytes);
      },
      bodyEnd: (conn, how, code) => {
        const input = conn.exchange?.input;
        if (input === undefined) return;
        if (how === BODY_COMPLETE) input.end();
        else if (how === BODY_CUT_SHORT) input.fail(new RequestBodyError('the client closed the connection before the body was complete', 0, 400));
        else input.fail(new RequestBodyError(`request body rejected: ${this.core.errorReasons[code]}`, code, this.core.errorStatuses[code]));
      },
      error: (conn, code) => {
        // With an application running, its input has failed and it answers; otherwise we do.
        if (conn.exchange !== null) return;
        const answer = this.core.errorResponse(conn.id, code, this.loop.now());
        conn.send(answer);
        this.accessLog?.(rejectionRecord(conn.environContext, this.core.errorStatuses[code], answer));
        if (this.log.enabled('debug')) this.log.log('debug', `${conn.environContext.remoteAddr}: ${this.core.errorStatuses[code]} ${this.core.errorReasons[code]} (code ${code})`);
        conn.end();
      },
      close: (conn, idle) => (idle ? conn.destroy() : conn.end()),
      rearm: (conn, offset, resume) => conn.rearm(offset, resume),
      release: (conn) => conn.release(),
      afterActions: () => this.afterActions(),
    };
  }
}

/** Creates a server bound to host:port (port 0 picks a free one); call serveForever() to run. */
export async function makeServer(host: string, port: number, app: Application, options: ServerOptions = {}): Promise<Server> {
  const server = new Server(host, port, app, options);
  await server.listen();
  return server;
}

export interface ServeOptions extends ServerOptions {
  host?: string;
  port?: number;
}

/**
 * Serves `app` on options.host:options.port, or on the one address of `bind` (a config file's),
 * by default 127.0.0.1:8000; resolves once listening.
 */
export async function serve(app: Application, options: ServeOptions = {}): Promise<Server> {
  const { bind } = options;
  if (bind === undefined || options.host !== undefined || options.port !== undefined) {
    return makeServer(options.host ?? '127.0.0.1', options.port ?? 8000, app, options);
  }
  const binds = typeof bind === 'string' ? [bind] : [...bind];
  if (binds.length !== 1) throw new TypeError(`wasgi: serve() listens on one address; option bind has ${binds.length} (the wasgi command serves several)`);
  return makeServerAt(serverSettings({ bind: binds[0] }).bind[0], app, options);
}

/**
 * Creates a server listening on `bind`: a TCP address, a Unix socket (its path names the server)
 * or an inherited descriptor (it names its own address). serve() opens its address here, and so
 * does each worker of the command, with `fd`: its copy of the primary's socket for `bind`, listened
 * on under `bind`'s name.
 */
export function makeServerAt(bind: Bind, app: Application, options: ServerOptions = {}, fd?: number): Promise<Server> {
  const [host, port] = bind.kind === 'tcp' ? [bind.host, bind.port] : bind.kind === 'unix' ? [bind.path, 80] : ['', 0];
  const listen = fd !== undefined ? { fd } : bind.kind === 'unix' ? { path: bind.path } : bind.kind === 'fd' ? { fd: bind.fd } : undefined;
  return makeServer(host, port, app, listen === undefined ? options : { ...options, listen });
}
