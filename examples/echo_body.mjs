// Echoes the request body back with the request's Content-Type.
// Try: curl -d 'hello there' -H 'Content-Type: text/plain' http://127.0.0.1:8000/
export async function application(environ, startResponse) {
  // read() without a size waits for the whole body (empty when there is none).
  const body = await environ['wsgi.input'].read();
  startResponse('200 OK', [
    ['Content-Type', environ.CONTENT_TYPE || 'application/octet-stream'],
    ['Content-Length', String(body.length)],
  ]);
  return [body];
}
