// The seed's hello application: PEP 3333 in JavaScript.
export function application(environ, startResponse) {
  const status = '200 OK';
  const responseHeaders = [['Content-type', 'text/plain']];
  startResponse(status, responseHeaders);
  return ['hello'];
}
