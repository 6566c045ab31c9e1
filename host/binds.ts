// The command's listening addresses (--bind): resolved once by the primary, before any worker
// starts, so that every worker listens on the same ones; opened by each worker; each failure told
// in one line.

import { fstatSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { Application } from '../src/types.js';
import { CliError, usageError } from './cli-error.js';
import { describeBind, type Bind } from './config.js';
import { makeServerAt, type Server, type ServerOptions } from './node.js';

/** Where a bind is, in an error: HOST:PORT for TCP (no scheme), else as describeBind() shows it. */
function where(bind: Bind): string {
  return bind.kind === 'tcp' ? describeBind(bind).slice('http://'.length) : describeBind(bind);
}

/** Chooses the port of each port-0 bind, removes stale Unix sockets, checks inherited descriptors. */
export async function resolveBinds(binds: Bind[]): Promise<Bind[]> {
  const resolved: Bind[] = [];
  for (const bind of binds) {
    if (bind.kind === 'tcp' && bind.port === 0) {
      const probe = net.createServer();
      const port = await new Promise<number>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen({ host: bind.host, port: 0, exclusive: true }, () => resolve((probe.address() as net.AddressInfo).port));
      }).catch((error: Error) => {
        throw new CliError(`cannot listen on ${where(bind)}: ${error.message}`);
      });
      await new Promise((resolve) => probe.close(resolve));
      resolved.push({ ...bind, port });
    } else if (bind.kind === 'unix') {
      await removeStaleSocket(bind.path);
      resolved.push(bind);
    } else if (bind.kind === 'fd') {
      let socket = false;
      try {
        socket = fstatSync(bind.fd).isSocket();
      } catch {
        // not open
      }
      if (!socket) throw usageError(`--bind fd://${bind.fd}: file descriptor ${bind.fd} is not an open socket`);
      resolved.push(bind);
    } else {
      resolved.push(bind);
    }
  }
  return resolved;
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

/** Opens `bind` (resolved) in a worker; a failure is a one-line CliError. */
export async function listenOn(bind: Bind, app: Application, options: ServerOptions): Promise<Listening> {
  let server: Server;
  try {
    server = await makeServerAt(bind, app, options);
  } catch (error) {
    throw listenError(bind, error);
  }
  // An inherited descriptor is shown by the address it listens on, when it has one.
  const [host, port] = server.serverAddress;
  const address = bind.kind === 'unix' || (bind.kind === 'fd' && host === '') ? describeBind(bind) : describeBind({ kind: 'tcp', host, port });
  return { server, address };
}

/** The listening error of `bind`, in one line. */
function listenError(bind: Bind, error: unknown): CliError {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'EADDRINUSE') return new CliError(`address already in use: ${where(bind)}`);
  return new CliError(`cannot listen on ${where(bind)}: ${message}`);
}
