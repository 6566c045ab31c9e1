// A Flask-style JSON API with routing, as a user writes it: must type-check under strict without casts.
import type { Application, Environ, StartResponse } from 'wasgi';

type Handler = (environ: Environ, params: Record<string, string>) => Promise<unknown> | unknown;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error' };

export class App {
  private readonly routes: Route[] = [];

  route(method: string, path: string, handler: Handler): this {
    const names: string[] = [];
    const pattern = new RegExp(`^${path.replace(/<(\w+)>/g, (_m, name: string) => { names.push(name); return '([^/]+)'; })}$`);
    this.routes.push({ method, pattern, names, handler });
    return this;
  }

  get(path: string, handler: Handler): this {
    return this.route('GET', path, handler);
  }

  post(path: string, handler: Handler): this {
    return this.route('POST', path, handler);
  }

  readonly wsgi: Application = async (environ, startResponse) => {
    let status = 200;
    let payload: unknown;
    try {
      payload = await this.dispatch(environ);
      if (environ.REQUEST_METHOD === 'POST') status = 201;
    } catch (error) {
      status = error instanceof HttpError ? error.status : 500;
      payload = { error: error instanceof Error ? error.message : String(error) };
    }
    return json(startResponse, status, payload);
  };

  private async dispatch(environ: Environ): Promise<unknown> {
    for (const route of this.routes) {
      const match = route.pattern.exec(environ.PATH_INFO);
      if (match === null || route.method !== environ.REQUEST_METHOD) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => { params[name] = decodeURIComponent(match[i + 1] ?? ''); });
      return route.handler(environ, params);
    }
    throw new HttpError(404, `no route for ${environ.REQUEST_METHOD} ${environ.PATH_INFO}`);
  }
}

function json(startResponse: StartResponse, status: number, payload: unknown): Uint8Array[] {
  const body = Buffer.from(JSON.stringify(payload));
  const headers = [['Content-Type', 'application/json'], ['Content-Length', String(body.length)]];
  startResponse(`${status} ${REASONS[status] ?? 'Unknown'}`, headers);
  return [body];
}

async function readJson(environ: Environ): Promise<unknown> {
  const type: string | undefined = environ.CONTENT_TYPE;
  if (type !== 'application/json') throw new HttpError(400, 'expected application/json');
  const raw = await environ['wsgi.input'].read();
  return JSON.parse(Buffer.from(raw).toString('utf8')) as unknown;
}

const users = new Map<string, { name: string }>();

export const app = new App()
  .get('/users/<id>', (_environ, { id }) => {
    const user = users.get(id ?? '');
    if (user === undefined) throw new HttpError(404, 'no such user');
    return user;
  })
  .post('/users', async (environ) => {
    const body = await readJson(environ);
    const name = typeof body === 'object' && body !== null && 'name' in body ? String(body.name) : '';
    const id = String(users.size + 1);
    users.set(id, { name });
    return { id, name, host: environ.HTTP_HOST };
  });

export const application: Application = app.wsgi;
