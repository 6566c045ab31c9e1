// node:http with the same responses as the wasgi apps: node bench/servers/node-http.mjs PORT MODE
// MODE: hello | echo | big | file (BENCH_FILE through fs.createReadStream, Content-Length from its
// size). Defaults otherwise, except keepAliveTimeout=0 with IDLE=1 (memory bench).
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';

const [port, mode = 'hello'] = process.argv.slice(2);
const HELLO = Buffer.from('hello');
const BIG = Buffer.alloc(65536, 'x');

const handlers = {
  hello(req, res) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': HELLO.length });
    res.end(HELLO);
  },
  big(req, res) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BIG.length });
    res.end(BIG);
  },
  file(req, res) {
    const file = process.env.BENCH_FILE;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': statSync(file).size });
    createReadStream(file).pipe(res);
  },
  echo(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      res.writeHead(200, { 'Content-Type': req.headers['content-type'] || 'application/octet-stream', 'Content-Length': body.length });
      res.end(body);
    });
  },
};
const handler = handlers[mode];
if (!handler) throw new Error(`unknown mode ${mode}`);
const server = http.createServer(handler);
if (process.env.IDLE === '1') server.keepAliveTimeout = 0; // idle connections stay open
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ server: 'node:http', port: server.address().port, pid: process.pid })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
// With --expose-gc, SIGUSR2 runs a full garbage collection (the memory bench's "after GC" reading).
if (typeof globalThis.gc === 'function') process.on('SIGUSR2', () => globalThis.gc());
