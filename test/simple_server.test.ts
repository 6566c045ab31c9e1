// wasgi/simple_server: wsgiref's shape (WSGIServer, WSGIRequestHandler, makeServer, demoApp) on
// the same server. The seed's example runs as written in examples/simple_server.ts.

import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { demoApp, makeServer, WSGIRequestHandler, WSGIServer } from '../host/simple_server.js';
import type { Environ, StartResponse } from '../index.js';
import { eventually, ROOT } from './fixtures/wasgi.js';
import { freePort } from './helpers/net.js';

describe('wasgi/simple_server', () => {
  it("runs the seed's example: WSGIServer, setApp, serveForever, and wsgiref's request log line", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('examples', 'simple_server.ts')], {
      cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    try {
      let body = '';
      await eventually(async () => {
        try {
          body = await (await fetch(`http://127.0.0.1:${port}/hi?x=1`)).text();
          return true;
        } catch {
          return false;
        }
      }, 'the example to listen');
      expect(body).toBe('hello');
      await eventually(() => stderr.includes('"GET /hi?x=1 HTTP/1.1" 200 5'), 'the request log line');
      expect(stderr).toMatch(/^127\.0\.0\.1 - - \[\d\d\/[A-Z][a-z]{2}\/\d{4} \d\d:\d\d:\d\d\] "GET \/hi\?x=1 HTTP\/1\.1" 200 5\n$/m);
    } finally {
      child.kill();
    }
  });

  it('overridable getEnviron, handle and logRequest; shutdown settles serveForever', async () => {
    const logged: string[] = [];
    class Handler extends WSGIRequestHandler {
      override getEnviron(): Environ {
        return { ...super.getEnviron(), 'app.greeting': 'hi' };
      }
      override logRequest(code: number | string, size: number | string): void {
        logged.push(`${this.requestline} ${code} ${size}`);
      }
    }
    const server = new WSGIServer(['127.0.0.1', 0], Handler);
    server.setApp((environ: Environ, startResponse: StartResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return [String(environ['app.greeting'])];
    });
    const serving = server.serveForever();
    await server.ready;
    const [host, port] = server.serverAddress;
    expect(host).toBe('127.0.0.1');
    expect(await (await fetch(`http://127.0.0.1:${port}/a`)).text()).toBe('hi');
    await eventually(() => logged.length === 1, 'the log call');
    expect(logged).toEqual(['GET /a HTTP/1.1 200 2']);
    await server.shutdown();
    await serving;
  });

  it('makeServer and demoApp, as wsgiref has them', async () => {
    const server = await makeServer('127.0.0.1', 0, demoApp, WSGIServer, class extends WSGIRequestHandler {
      override logMessage(): void {}
    });
    const serving = server.serveForever();
    const text = await (await fetch(`http://127.0.0.1:${server.serverAddress[1]}/demo?q=1`)).text();
    expect(text.startsWith('Hello world!\n\n')).toBe(true);
    expect(text).toContain("PATH_INFO = '/demo'");
    expect(text).toContain("QUERY_STRING = 'q=1'");
    await server.shutdown();
    await serving;
  });

  it('serveForever rejects when the address cannot be bound', async () => {
    const first = await makeServer('127.0.0.1', 0, demoApp);
    const second = new WSGIServer(['127.0.0.1', first.serverAddress[1]]);
    await expect(second.serveForever()).rejects.toThrow(/EADDRINUSE/);
    await first.shutdown();
  });
});
