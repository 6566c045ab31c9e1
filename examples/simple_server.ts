// The seed's first example, wsgiref's simple server, in TypeScript: `node --import tsx
// examples/simple_server.ts` (as root for port 80, or with PORT set).
import { WSGIServer, WSGIRequestHandler } from 'wasgi/simple_server';
import type { Environ, StartResponse } from 'wasgi';

function application(environ: Environ, startResponse: StartResponse) {
  const status = '200 OK';
  const responseHeaders: [string, string][] = [['Content-type', 'text/plain']];
  startResponse(status, responseHeaders);
  return [Buffer.from('hello')];
}

// configure the server
const server = new WSGIServer(['0.0.0.0', Number(process.env.PORT ?? 80)], WSGIRequestHandler);
server.setApp(application);
// start the server: each connection's requests go to WSGIRequestHandler.handle()
server.serveForever();
