#!/usr/bin/env node
// The wasgi command: serve a PEP 3333 application exported by an ES module.
//   wasgi MODULE[:CALLABLE] [--bind HOST:PORT]

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs as parseArgv } from 'node:util';
import { makeServer, type Server } from './node.js';
import type { Application } from '../src/types.js';

const DEFAULT_CALLABLE = 'application';
const DEFAULT_BIND = '127.0.0.1:8000';

const USAGE = `Usage: wasgi MODULE[:CALLABLE] [--bind HOST:PORT]

Serve the PEP 3333 application CALLABLE (default: ${DEFAULT_CALLABLE}) exported by the
ES module at MODULE (a path relative to the current directory, or absolute).

Options:
  -b, --bind HOST:PORT  address to listen on (default: ${DEFAULT_BIND});
                        IPv6 as [::1]:8000; port 0 picks a free port
  -h, --help            show this help and exit
      --version         show the version and exit

Example:
  wasgi examples/hello.mjs:application --bind 127.0.0.1:8000
`;

/** A failure reported as one line on stderr; exit code 2 for usage errors, 1 for the rest. */
class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}

function usageError(message: string): CliError {
  return new CliError(`${message} (see wasgi --help)`, 2);
}

type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'serve'; module: string; callable: string; host: string; port: number };

/** An identifier after the last colon names the callable; anything else belongs to the path. */
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u;

function parseArgs(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgv({
      args: argv,
      allowPositionals: true,
      options: {
        bind: { type: 'string', short: 'b' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    // Node's messages run on ("... To specify ..."): keep the first sentence.
    const sentence = String((error as Error).message).split(/\.(?:\s|$)/)[0];
    throw usageError(sentence.charAt(0).toLowerCase() + sentence.slice(1));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (positionals.length > 1) throw usageError(`unexpected argument '${positionals[1]}'`);

  const target = positionals[0] ?? '';
  const colon = target.lastIndexOf(':');
  const hasCallable = colon >= 0 && IDENTIFIER.test(target.slice(colon + 1));
  const module = hasCallable ? target.slice(0, colon) : target;
  const callable = hasCallable ? target.slice(colon + 1) : DEFAULT_CALLABLE;
  if (module === '') throw usageError('no application module given');

  const [host, port] = parseBind(values.bind ?? DEFAULT_BIND);
  return { kind: 'serve', module, callable, host, port };
}

/** "HOST:PORT" or "[IPV6]:PORT" to [host, port]. */
function parseBind(bind: string): [string, number] {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(bind);
  if (match === null) throw usageError(`invalid --bind '${bind}': expected HOST:PORT or [IPV6]:PORT`);
  const port = Number(match[3]);
  if (port > 65535) throw usageError(`invalid port in --bind '${bind}': expected an integer from 0 to 65535`);
  return [match[1] ?? match[2], port];
}

/** host:port as it appears in a URL (IPv6 in brackets). */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Imports the module at `spec` and returns its export `callable`. */
async function loadApplication(spec: string, callable: string): Promise<Application> {
  const file = path.resolve(spec);
  if (!existsSync(file)) throw new CliError(`module not found: ${file}`);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new CliError(`cannot import ${file}: ${reason.replace(/\s*\n\s*/g, ' ')}`);
  }
  const app = exports[callable];
  if (typeof app === 'function') return app as Application;

  const functions = Object.keys(exports).filter((name) => typeof exports[name] === 'function');
  const problem = callable in exports
    ? `export '${callable}' is not a function (it is ${app === null ? 'null' : typeof app})`
    : `has no export '${callable}'`;
  const available = functions.length > 0 ? `its function exports: ${functions.join(', ')}` : 'it exports no functions';
  throw new CliError(`${spec}: ${problem}; ${available}`);
}

async function listen(host: string, port: number, app: Application): Promise<Server> {
  // The server also logs a failed listen(); that error is reported here instead, in one line.
  let listening = false;
  const errorLog = (text: string): void => { if (listening) process.stderr.write(text); };
  try {
    const server = await makeServer(host, port, app, { errorLog });
    listening = true;
    return server;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'EADDRINUSE') throw new CliError(`address already in use: ${hostPort(host, port)}`);
    throw new CliError(`cannot listen on ${hostPort(host, port)}: ${message}`);
  }
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the command; resolves to the exit code once there is nothing left to do. */
async function main(argv: string[]): Promise<number> {
  const command = parseArgs(argv);
  if (command.kind === 'help') return print(process.stdout, USAGE, 0);
  if (command.kind === 'version') return print(process.stdout, `${readVersion()}\n`, 0);

  const app = await loadApplication(command.module, command.callable);
  const server = await listen(command.host, command.port, app);

  // The first SIGINT/SIGTERM shuts down; with the handlers gone, a second one kills at once.
  // They are in place before the "listening" line, which tells supervisors they may signal.
  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    void server.shutdown();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const [host, port] = server.serverAddress;
  console.log(`wasgi: listening on http://${hostPort(host, port)}`);
  await server.serveForever();
  return 0;
}

/** Writes `text` and resolves to `code` once it is flushed (pipes may be asynchronous). */
function print(stream: NodeJS.WriteStream, text: string, code: number): Promise<number> {
  return new Promise((resolve) => stream.write(text, () => resolve(code)));
}

main(process.argv.slice(2))
  .catch((error: unknown) => error instanceof CliError
    ? print(process.stderr, `wasgi: ${error.message}\n`, error.exitCode)
    : print(process.stderr, `wasgi: ${error instanceof Error ? error.stack : String(error)}\n`, 1))
  // Exit explicitly: the application module may hold timers or handles of its own.
  .then((code) => process.exit(code));
