// Opens N keep-alive connections to 127.0.0.1:PORT in batches; each sends one GET and reads the
// whole response, then stays open and idle. Prints JSON lines on stdout:
//   {"ready":true,"open":N,"failed":K,"ms":T}  once every connection has its response
//   {"open":N,"closedByServer":K}              in answer to a "status" line on stdin
// node bench/lib/idle-client.mjs PORT N BATCH
import net from 'node:net';
import readline from 'node:readline';

const [port, total, batchSize] = process.argv.slice(2).map(Number);
const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'latin1');
const sockets = [];
let failed = 0;
let closedByServer = 0;
let ready = false;

function one() {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let got = '';
    let answered = false;
    s.setNoDelay(true);
    s.on('connect', () => s.write(REQUEST));
    s.on('data', (d) => {
      if (answered) return;
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /content-length:\s*(\d+)/i.exec(got.slice(0, end));
      if (m && got.length - end - 4 >= Number(m[1])) {
        answered = true;
        if (!got.startsWith('HTTP/1.1 200')) { failed++; s.destroy(); resolve(); return; }
        sockets.push(s);
        resolve();
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (!answered) { failed++; resolve(); return; }
      if (ready) closedByServer++;
    });
  });
}

const t0 = Date.now();
for (let made = 0; made < total; made += batchSize) {
  const n = Math.min(batchSize, total - made);
  await Promise.all(Array.from({ length: n }, one));
}
ready = true;
process.stdout.write(`${JSON.stringify({ ready: true, open: sockets.filter((s) => !s.destroyed).length, failed, ms: Date.now() - t0 })}\n`);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'status') {
    process.stdout.write(`${JSON.stringify({ open: sockets.filter((s) => !s.destroyed).length, closedByServer })}\n`);
  } else if (line.trim() === 'exit') {
    for (const s of sockets) s.destroy();
    process.exit(0);
  }
});
