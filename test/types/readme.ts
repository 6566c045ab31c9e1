// The README's examples, as TypeScript: they must type-check under strict without casts.
import { makeServer, serve, type Application, type Environ, type StartResponse } from 'wasgi';
import { validator } from 'wasgi/validate';
import { WSGIServer, WSGIRequestHandler } from 'wasgi/simple_server';

export function application(environ: Environ, startResponse: StartResponse) {
  const status = '200 OK';
  const responseHeaders = [['Content-type', 'text/plain']];
  startResponse(status, responseHeaders);
  return ['hello'];
}

export const echo: Application = async (environ, startResponse) => {
  const body = await environ['wsgi.input'].read();
  startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
  return (async function* () { yield body; })();
};

export const file: Application = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return environ['wsgi.file_wrapper']('README.md');
};

export async function main(): Promise<void> {
  const host: string = 'localhost';
  const server = await makeServer('127.0.0.1', 8000, application);
  const [name, port]: [string, number] = server.serverAddress;
  console.log('listening on', name, port, host);
  const other = await serve(validator(echo), { host: '127.0.0.1', port: 0, maxBodySize: 1 << 20 });
  await other.shutdown({ graceful: 1000 });
  const simple = new WSGIServer(['0.0.0.0', 80], WSGIRequestHandler);
  simple.setApp(application);
  void simple.serveForever();
  await server.serveForever();
}

export function headerOf(environ: Environ): string {
  const h: string = environ.HTTP_HOST;
  const agent = environ.HTTP_USER_AGENT ?? '-';
  return `${h} ${agent} ${environ.REQUEST_METHOD} ${environ.PATH_INFO}`;
}
