// The Node ceiling: node:net answering a fixed response for every "\r\n\r\n" it sees, without
// parsing anything. node bench/servers/raw-net.mjs PORT MODE [close]   (MODE: hello | echo | big)
// echo answers with the precomputed response to the bench's POST (1 KiB of 'x', text/plain).
// With close, each response says Connection: close and the socket is ended after it: the ceiling
// for a new connection per request.
import net from 'node:net';

const [port, mode = 'hello', closing] = process.argv.slice(2);
const close = closing === 'close';
const bodies = { hello: Buffer.from('hello'), echo: Buffer.alloc(1024, 'x'), big: Buffer.alloc(65536, 'x') };
const body = bodies[mode];
if (!body) throw new Error(`unknown mode ${mode}`);
const RESPONSE = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`, 'latin1'), body]);
const SEP = Buffer.from('\r\n\r\n', 'latin1');
const many = [null, RESPONSE];
const responses = (n) => (many[n] ??= Buffer.concat(Array(n).fill(RESPONSE)));

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let tail = Buffer.alloc(0); // up to 3 bytes from the end of the previous chunk
  socket.on('data', (chunk) => {
    let n = 0;
    if (tail.length > 0) {
      // A separator that straddles the chunk boundary.
      const joint = Buffer.concat([tail, chunk.subarray(0, 3)]);
      for (let at = joint.indexOf(SEP); at >= 0 && at < tail.length; at = joint.indexOf(SEP, at + 1)) n++;
    }
    for (let at = chunk.indexOf(SEP); at >= 0; at = chunk.indexOf(SEP, at + 4)) n++;
    tail = chunk.length >= 3 ? chunk.subarray(chunk.length - 3) : Buffer.concat([tail, chunk]).subarray(-3);
    if (n > 0 && close) socket.end(RESPONSE);
    else if (n > 0) socket.write(responses(n));
  });
  socket.on('error', () => {});
});
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ server: 'raw-net', port: server.address().port, pid: process.pid })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
