// wasgi serving a WSGI application module: node bench/servers/wasgi.mjs PORT MODULE [CALLABLE] [MAXCONN]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeServer } from '../../dist/index.js';

const [port, modulePath, callable = 'application', maxConnections] = process.argv.slice(2);
const mod = await import(pathToFileURL(path.resolve(modulePath)).href);
const app = mod[callable];
const options = { errorLog: (text) => process.stderr.write(text) };
if (maxConnections) options.maxConnections = Number(maxConnections);
// Extra server options as JSON (the memory bench raises the keep-alive timeout this way).
if (process.env.WASGI_OPTIONS) Object.assign(options, JSON.parse(process.env.WASGI_OPTIONS));
const server = await makeServer('127.0.0.1', Number(port), app, options);
process.stdout.write(`${JSON.stringify({ server: 'wasgi', port: server.serverAddress[1], pid: process.pid })}\n`);
const stop = () => { server.shutdown().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 1000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// With --expose-gc, SIGUSR2 runs a full garbage collection (the memory bench's "after GC" reading).
if (typeof globalThis.gc === 'function') process.on('SIGUSR2', () => globalThis.gc());
