// uWebSockets.js with the same responses as the wasgi apps: node bench/servers/uws.mjs PORT MODE UWS
// MODE: hello | echo | big; UWS: the path of the uwebsockets package (bench/lib/peers.mjs installs it).
import { createRequire } from 'node:module';

const [port, mode = 'hello', uwsPath] = process.argv.slice(2);
const uWS = createRequire(import.meta.url)(uwsPath);
const HELLO = Buffer.from('hello');
const BIG = Buffer.alloc(65536, 'x');

const handlers = {
  hello: (res) => res.cork(() => res.writeHeader('Content-Type', 'text/plain').end(HELLO)),
  big: (res) => res.cork(() => res.writeHeader('Content-Type', 'text/plain').end(BIG)),
  echo: (res, req) => {
    const type = req.getHeader('content-type') || 'application/octet-stream';
    const chunks = [];
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    res.onData((chunk, last) => {
      // uWS reuses the chunk's memory after the callback: copy it.
      chunks.push(Buffer.from(Buffer.from(chunk)));
      if (last && !aborted) res.cork(() => res.writeHeader('Content-Type', type).end(Buffer.concat(chunks)));
    });
  },
};
const handler = handlers[mode];
if (!handler) throw new Error(`unknown mode ${mode}`);
uWS.App().any('/*', handler).listen('127.0.0.1', Number(port), (token) => {
  if (!token) throw new Error(`uWS could not listen on ${port}`);
  process.stdout.write(`${JSON.stringify({ server: 'uws', port: Number(port), pid: process.pid })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
