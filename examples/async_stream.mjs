// An asynchronous application that streams its body as it is produced. It sets no
// Content-Length, so wasgi sends the chunks with chunked transfer coding (HTTP/1.1).
// Try: wasgi examples/async_stream.mjs --bind 127.0.0.1:8000 & curl -N http://127.0.0.1:8000/
import { setTimeout as sleep } from 'node:timers/promises';

/** Yields `count` lines, waiting `delayMs` between them. */
async function* lines(count, delayMs) {
  for (let i = 1; i <= count; i++) {
    if (i > 1) await sleep(delayMs);
    yield `chunk ${i} of ${count}\n`;
  }
}

// The application may be async; its result may be any (async) iterable of strings or bytes.
export async function application(environ, startResponse) {
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']]);
  return lines(3, 50);
}
