// The command's listening sockets (--bind): opened once by the primary, before any worker starts,
// and kept until it exits; every worker inherits them as descriptors and accepts on them itself
// (the kernel spreads the connections), so the primary touches no connection, and one that comes
// while no worker listens waits in the socket's backlog for the next. Each failure is one line.

import dns from 'node:dns/promises';
import { fstatSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { getSystemErrorMap } from 'node:util';
import type { Application } from '../src/types.js';
import { CliError, usageError } from './cli-error.js';
import { describeBind, type Bind } from './config.js';
import { makeServerAt, type Server, type ServerOptions } from './node.js';

/** Where a bind is, in an error: HOST:PORT for TCP (no scheme), else as describeBind() shows it. */
function where(bind: Bind): string {
  return bind.kind === 'tcp' ? describeBind(bind).slice('http://'.length) : describeBind(bind);
}

/** A libuv TCP or pipe handle bound to an address but not listening: the workers listen on it. */
interface BoundHandle {
  fd: number;
  getsockname?(out: { port?: number }): number;
  close(): void;
}

/**
 * node:net's own way to bind a server socket without listening on it (node:cluster's primary does
 * the same): a handle, or a negative errno.
 */
const createServerHandle = (net as unknown as {
  _createServerHandle(address: string | null, port: number, addressType: number, fd: number | undefined, flags?: number): BoundHandle | number;
})._createServerHandle;

/** The command's sockets: each bind (a port 0 resolved to the port chosen) and its descriptor. */
export class Listeners {
  private constructor(readonly binds: Bind[], readonly fds: number[], private readonly handles: BoundHandle[]) {}

  /**
   * Binds every address (removing stale Unix sockets, checking inherited descriptors); on a
   * failure the ones bound so far are closed again.
   */
  static async open(binds: Bind[]): Promise<Listeners> {
    const opened = new Listeners([], [], []);
    try {
      for (const bind of binds) await opened.add(bind);
    } catch (error) {
      opened.close();
      throw error;
    }
    return opened;
  }

  private async add(bind: Bind): Promise<void> {
    if (bind.kind === 'fd') {
      let socket = false;
      try {
        socket = fstatSync(bind.fd).isSocket();
      } catch {
        // not open
      }
      if (!socket) throw usageError(`--bind fd://${bind.fd}: file descriptor ${bind.fd} is not an open socket`);
      this.binds.push(bind);
      this.fds.push(bind.fd);
      return;
    }
    if (bind.kind === 'unix') {
      await removeStaleSocket(bind.path);
      this.keep(bind, createServerHandle(bind.path, -1, -1, undefined));
      this.binds.push(bind);
      return;
    }
    const { address, family } = await dns.lookup(bind.host).catch((error: NodeJS.ErrnoException) => {
      throw failure(bind, error.code, error.message);
    });
    const handle = this.keep(bind, createServerHandle(address, bind.port, family, undefined));
    // libuv keeps a TCP bind's EADDRINUSE for listen() to report, and a worker listening on the
    // unbound socket would get a port of the kernel's choosing: a socket without its port was not bound.
    const out: { port?: number } = {};
    if (handle.getsockname?.(out) !== 0 || out.port === undefined || out.port === 0) throw failure(bind, 'EADDRINUSE', '');
    this.binds.push({ ...bind, port: out.port });
  }

  /** Keeps `handle` as the socket of `bind`, or fails with its errno. */
  private keep(bind: Bind, handle: BoundHandle | number): BoundHandle {
    if (typeof handle === 'number') {
      const [code, message] = getSystemErrorMap().get(handle) ?? [`errno ${handle}`, 'unknown error'];
      throw failure(bind, code, `${message} (${code})`);
    }
    this.handles.push(handle);
    this.fds.push(handle.fd);
    return handle;
  }

  /** Closes the sockets (a Unix socket's file is removed with it). */
  close(): void {
    for (const handle of this.handles.splice(0)) handle.close();
  }
}

/** Binding or listening on `bind` failed (`code`, as libuv names it): one line. */
function failure(bind: Bind, code: string | undefined, message: string): CliError {
  if (code === 'EADDRINUSE') return new CliError(`address already in use: ${where(bind)}`);
  return new CliError(`cannot listen on ${where(bind)}: ${message}`);
}

/** A socket file nobody listens on is left over from a crash: remove it (as gunicorn does). */
async function removeStaleSocket(file: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(file);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new CliError(`cannot listen on unix:${file}: the file exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(file, () => { probe.destroy(); resolve(true); });
    probe.on('error', () => resolve(false));
  });
  if (live) throw new CliError(`address already in use: unix:${file}`);
  unlinkSync(file);
}

/** A server listening on `bind`, and the address it listens on as the log shows it. */
export interface Listening {
  server: Server;
  address: string;
}

/**
 * Serves `app` in a worker on `fd`, its descriptor of the primary's socket for `bind`; the
 * environ names the server as `bind` does. A failure is a one-line CliError.
 */
export async function listenOn(bind: Bind, fd: number, app: Application, options: ServerOptions): Promise<Listening> {
  let server: Server;
  try {
    server = await makeServerAt(bind, app, options, fd);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw failure(bind, code, message);
  }
  // An inherited descriptor is shown by the address it listens on, when it has one.
  const [name, actual] = server.serverAddress;
  const address = bind.kind === 'fd' && name !== '' ? describeBind({ kind: 'tcp', host: name, port: actual }) : describeBind(bind);
  return { server, address };
}
