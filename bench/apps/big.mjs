// A 64 KiB text/plain response, for the large-response scenario (same bytes as the other servers').
const BODY = Buffer.alloc(65536, 'x');

export function application(environ, startResponse) {
  startResponse('200 OK', [['Content-Type', 'text/plain'], ['Content-Length', String(BODY.length)]]);
  return [BODY];
}
