// wsgiref.simple_server's shape on wasgi's own server: WSGIServer, WSGIRequestHandler (one per
// request, with wsgiref's overridable steps), makeServer and demoApp, so that programs written
// against wsgiref read the same here. Underneath is the one server of host/node.ts: the core
// parses, the Exchange runs the application and finishes the response.

import { format, inspect } from 'node:util';
import { Server, type ServerOptions } from './node.js';
import type { AccessRecord } from './accesslog.js';
import type { Application, Environ, ErrorStream, ResponseBody, StartResponse } from '../src/types.js';

/** Python's `(host, port)`; the host '' means every interface, as in Python. */
export type ServerAddress = [host: string, port: number];

export type RequestHandlerClass = new (environ: Environ, server: WSGIServer) => WSGIRequestHandler;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** BaseHTTPRequestHandler.log_date_time_string(): `02/Dec/2026 05:00:00`, local time. */
function logDateTime(date = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(date.getDate())}/${MONTHS[date.getMonth()]}/${date.getFullYear()} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/**
 * One request, after wsgiref's WSGIRequestHandler: `handle()` runs the application with the
 * environ of `getEnviron()`, and `logRequest()` is called once its response is done. Subclass and
 * override any of them.
 */
export class WSGIRequestHandler {
  constructor(readonly environ: Environ, readonly server: WSGIServer) {}

  /** The environ the application gets (wsgiref's get_environ): add or change keys here. */
  getEnviron(): Environ {
    return this.environ;
  }

  /** Where wsgi.errors goes (wsgiref's get_stderr). */
  getStderr(): ErrorStream {
    return this.environ['wsgi.errors'];
  }

  /** Runs the server's application for this request (wsgiref's handle and ServerHandler.run). */
  handle(startResponse: StartResponse): ResponseBody | Promise<ResponseBody> {
    const app = this.server.getApp();
    if (app === null) throw new Error('WSGIServer: no application; call setApp() first');
    return app(this.getEnviron(), startResponse);
  }

  /** `METHOD TARGET PROTOCOL`, as the request line came. */
  get requestline(): string {
    return `${this.environ.REQUEST_METHOD} ${this.environ.RAW_URI} ${this.environ.SERVER_PROTOCOL}`;
  }

  /** The client's address (wsgiref's address_string). */
  addressString(): string {
    return this.environ.REMOTE_ADDR;
  }

  /** Called once the response is done, with its status and body size. */
  logRequest(code: number | string = '-', size: number | string = '-'): void {
    this.logMessage('"%s" %s %s', this.requestline, String(code), String(size));
  }

  /** One line on stderr: `ADDRESS - - [DATE] MESSAGE`, the message formatted as util.format does. */
  logMessage(message: string, ...args: unknown[]): void {
    process.stderr.write(`${this.addressString()} - - [${logDateTime()}] ${format(message, ...args)}\n`);
  }
}

/**
 * wsgiref's WSGIServer: binds `serverAddress` at once (as Python's does on construction; the
 * port is known once `serveForever()` or `ready` has settled), serves the application set with
 * `setApp()` through a new `RequestHandlerClass` for each request, until `shutdown()`.
 */
export class WSGIServer {
  private app: Application | null = null;
  private readonly server: Server;
  private readonly handlers = new WeakMap<object, WSGIRequestHandler>();
  /** Settles once the server listens (rejects if it cannot). */
  readonly ready: Promise<void>;

  constructor(serverAddress: ServerAddress, readonly RequestHandlerClass: RequestHandlerClass = WSGIRequestHandler, options: ServerOptions = {}) {
    const [host, port] = serverAddress;
    this.server = new Server(host === '' ? '0.0.0.0' : host, port, this.dispatch, { ...options, accessLog: this.logRequest });
    this.ready = this.server.listen(options.backlog);
    // A failure is the caller's through serveForever() or ready, not an unhandled rejection.
    this.ready.catch(() => {});
  }

  /** `[host, port]` as bound (the real port once ready). */
  get serverAddress(): ServerAddress {
    return this.server.serverAddress;
  }

  setApp(application: Application): void {
    this.app = application;
  }

  getApp(): Application | null {
    return this.app;
  }

  /** Serves until shutdown(); rejects if the address could not be bound. */
  async serveForever(): Promise<void> {
    await this.ready;
    await this.server.serveForever();
  }

  /** Stops serving: serveForever() then settles. */
  async shutdown(): Promise<void> {
    await this.ready.catch(() => {});
    await this.server.shutdown();
  }

  private readonly dispatch: Application = (environ, startResponse) => {
    const handler = new this.RequestHandlerClass(environ, this);
    this.handlers.set(environ, handler);
    return handler.handle(startResponse);
  };

  private readonly logRequest = (record: AccessRecord): void => {
    const handler = this.handlers.get(record.environ);
    if (handler === undefined) return;
    this.handlers.delete(record.environ);
    handler.logRequest(record.status > 0 ? record.status : '-', record.bytes);
  };
}

/** wsgiref's make_server: a bound WSGIServer serving `app`. */
export async function makeServer(
  host: string,
  port: number,
  app: Application,
  serverClass: new (address: ServerAddress, handler: RequestHandlerClass) => WSGIServer = WSGIServer,
  handlerClass: RequestHandlerClass = WSGIRequestHandler,
): Promise<WSGIServer> {
  const server = new serverClass([host, port], handlerClass);
  server.setApp(app);
  await server.ready;
  return server;
}

/** wsgiref's demo_app: "Hello world!" and the environ, one `KEY = value` line each, sorted. */
export const demoApp: Application = (environ, startResponse) => {
  const lines = ['Hello world!', ''];
  for (const key of Object.keys(environ).sort()) lines.push(`${key} = ${inspect(environ[key], { depth: 0, breakLength: Infinity })}`);
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']]);
  return [`${lines.join('\n')}\n`];
};
