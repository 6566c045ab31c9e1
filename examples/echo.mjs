// The echo server from Python's selectors documentation, line for line on wasgi/socket and
// wasgi/selectors. The differences: select() and listen() are awaited, and an empty recv() is
// tested by its length (an empty Uint8Array is truthy).
//
//   node examples/echo.mjs [port]      (or PORT=...; default 1234, 0 picks a free one)

import * as selectors from '../dist/src/selectors.js';
import * as socket from '../dist/src/socket.js';

const port = Number(process.argv[2] ?? process.env.PORT ?? 1234);

/** Python's repr() of bytes, for the log. */
function repr(data) {
  const text = Array.from(data, (b) =>
    b === 0x27 ? "\\'" : b === 0x5c ? '\\\\' : b === 0x0a ? '\\n' : b === 0x0d ? '\\r' : b === 0x09 ? '\\t'
      : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`).join('');
  return `b'${text}'`;
}

function accept(sock, mask) {
  const [conn, addr] = sock.accept(); // Should be ready
  console.log('accepted', conn, 'from', addr);
  conn.setblocking(false);
  sel.register(conn, selectors.EVENT_READ, read);
}

function read(conn, mask) {
  const data = conn.recv(1000); // Should be ready
  if (data.length) {
    console.log('echoing', repr(data), 'to', conn);
    conn.send(data); // Hope it won't block
  } else {
    console.log('closing', conn);
    sel.unregister(conn);
    conn.close();
  }
}

const sel = new selectors.DefaultSelector();
const sock = socket.socket();
sock.bind(['localhost', port]);
await sock.listen(100);
sock.setblocking(false);
sel.register(sock, selectors.EVENT_READ, accept);
const [host, bound] = sock.getsockname();
console.log(`listening on ${host}:${bound}`);

while (true) {
  const events = await sel.select();
  for (const [key, mask] of events) {
    const callback = key.data;
    callback(key.fileobj, mask);
  }
}
