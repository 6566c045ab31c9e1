// One table of settings: the same names and units in serve()/makeServer() options, config files
// and (kebab-cased) the command line; unknown names and wrong values answered clearly; and
// gunicorn's habits (bind forms, $PORT, flag spellings, WASGI_CMD_ARGS, ./wasgi.config.*).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeServer, serve, type Application } from '../index.js';
import { parseBind } from '../host/settings.js';
import { APP, eventually, killChildren, run, sleep, start } from './fixtures/wasgi.js';
import { freePort, RawClient } from './helpers/net.js';

const hello: Application = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return ['hello'];
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasgi-settings-'));
});
afterAll(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve() and makeServer() options are the settings', () => {
  it('durations are seconds, as in config files and on the command line', async () => {
    const server = await serve(hello, { port: 0, headerTimeout: 1 });
    try {
      const client = await RawClient.connect(server.serverAddress[1]);
      await client.write('GET / HTTP/1.1\r\nHost');
      const began = Date.now();
      await sleep(400);
      expect(client.closed).toBe(false);
      await client.waitClosed(3000);
      expect(Date.now() - began).toBeGreaterThanOrEqual(800);
      expect(client.text).toContain('408');
    } finally {
      await server.shutdown();
    }
  });

  it("a config file's object goes to serve() as it is: bind, limits, keep-alive and the access log file", async () => {
    const access = path.join(dir, 'access.log');
    const port = await freePort();
    const file = path.join(dir, 'serve.config.mjs');
    writeFileSync(file, `export default { app: 'app.mjs', bind: '127.0.0.1:${port}', workers: 2, timeout: 10, keepAlive: 2, maxBodySize: 10, accessLogfile: ${JSON.stringify(access)} };\n`);
    const config = ((await import(file)) as { default: Record<string, unknown> }).default;
    const server = await serve(hello, config);
    try {
      expect(server.serverAddress).toEqual(['127.0.0.1', port]);
      expect(server.settings.keepAlive).toBe(2);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'more than ten bytes' })).status).toBe(413);
    } finally {
      await server.shutdown();
    }
    const lines = readFileSync(access, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/"GET \/ HTTP\/1\.1" 200 5 /);
  });

  it('an unknown option is a TypeError naming it and the nearest known name', async () => {
    await expect(makeServer('127.0.0.1', 0, hello, { maxBodysize: 1 } as never)).rejects.toThrow(TypeError);
    await expect(makeServer('127.0.0.1', 0, hello, { maxBodysize: 1 } as never)).rejects.toThrow("wasgi: unknown option 'maxBodysize' (did you mean 'maxBodySize'?");
    await expect(serve(hello, { port: 0, keepalive: 5 } as never)).rejects.toThrow("did you mean 'keepAlive'?");
  });

  it('a wrong value names its option and what it takes', async () => {
    await expect(serve(hello, { port: 0, maxBodySize: -1 })).rejects.toThrow('wasgi: option maxBodySize must be a non-negative integer, got -1');
    await expect(serve(hello, { port: 0, headerTimeout: 0 })).rejects.toThrow('wasgi: option headerTimeout must be a positive number of seconds, got 0');
    await expect(serve(hello, { port: 0, bind: 'nowhere:port' })).rejects.toThrow('wasgi: option bind must be');
    await expect(serve(hello, { port: 0, maxConnections: 100_000, limitRequestHead: 1_000_000 })).rejects.toThrow(/maxConnections \(100000\) times limitRequestHead \(1000000\)/);
  });

  it('the old keepAliveTimeout (milliseconds) still works, with a deprecation warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => { warnings.push(warning.message); };
    process.on('warning', onWarning);
    const server = await serve(hello, { port: 0, keepAliveTimeout: 300 });
    try {
      expect(server.settings.keepAlive).toBe(0.3);
      await eventually(() => warnings.some((w) => w.includes('keepAliveTimeout (milliseconds) is deprecated')), 'the warning', 2000);
    } finally {
      process.off('warning', onWarning);
      await server.shutdown();
    }
  });
});

describe("gunicorn's habits", () => {
  it('bind forms: HOST alone is port 8000, :PORT every interface, tcp://, [IPV6] alone', () => {
    expect(parseBind('127.0.0.1')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8000 });
    expect(parseBind(':8012')).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 8012 });
    expect(parseBind('tcp://127.0.0.1:9000')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9000 });
    expect(parseBind('[::1]')).toEqual({ kind: 'tcp', host: '::1', port: 8000 });
    expect(parseBind('localhost')).toEqual({ kind: 'tcp', host: 'localhost', port: 8000 });
  });

  it('-b HOST listens on port 8000 of that host', async () => {
    const host = `127.0.0.${2 + Math.floor(Math.random() * 200)}`;
    const wasgi = await start([APP, '-b', host]);
    expect(wasgi.listening).toEqual([`http://${host}:8000`]);
    expect(await (await fetch(`http://${host}:8000/`)).text()).toBe('hello');
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('-b :PORT and -b tcp://HOST:PORT', async () => {
    const port = await freePort();
    const wasgi = await start([APP, '-b', `:${port}`, '-b', 'tcp://127.0.0.1:0']);
    expect(wasgi.listening[0]).toBe(`http://0.0.0.0:${port}`);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello');
    expect(await (await fetch(`${wasgi.listening[1]}/`)).text()).toBe('hello');
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('$PORT is the default bind, on every interface', async () => {
    const port = await freePort();
    const wasgi = await start([APP], { env: { ...process.env, PORT: String(port) } });
    expect(wasgi.listening).toEqual([`http://0.0.0.0:${port}`]);
    expect((await wasgi.stop()).code).toBe(0);
  });

  it("gunicorn's spellings: --limit-request-field_size and --log-file", async () => {
    const log = path.join(dir, 'error.log');
    const wasgi = await start([APP, '-b', '127.0.0.1:0', '--limit-request-field_size', '64', '--log-file', log]);
    const response = await fetch(`${wasgi.url}/errors`);
    expect(response.status).toBe(200);
    const big = await fetch(`${wasgi.url}/`, { headers: { 'X-Big': 'x'.repeat(100) } });
    expect(big.status).toBe(431);
    expect((await wasgi.stop()).code).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain('message from the application');
  });

  it('WASGI_CMD_ARGS holds options, and the command line wins', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0'], { env: { ...process.env, WASGI_CMD_ARGS: '--workers 2 --bind 127.0.0.1:1' } });
    await eventually(() => wasgi.workers().length === 2, 'two workers');
    expect(wasgi.listening[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(wasgi.listening[0]).not.toBe('http://127.0.0.1:1');
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('./wasgi.config.mjs is read when no config file is named; -c FILE.json is read as JSON', async () => {
    const project = mkdtempSync(path.join(dir, 'project-'));
    writeFileSync(path.join(project, 'app.mjs'), readFileSync(APP, 'utf8'));
    writeFileSync(path.join(project, 'wasgi.config.mjs'), "export default { app: 'app.mjs', bind: '127.0.0.1:0', workers: 2 };\n");
    const found = await start([], { cwd: project });
    await eventually(() => found.workers().length === 2, 'two workers');
    expect(await (await fetch(`${found.url}/`)).text()).toBe('hello');
    expect((await found.stop()).code).toBe(0);

    writeFileSync(path.join(project, 'settings.json'), JSON.stringify({ app: 'app.mjs', bind: '127.0.0.1:0', maxBodySize: 4 }));
    const json = await start(['-c', 'settings.json'], { cwd: project });
    expect((await fetch(`${json.url}/echo`, { method: 'POST', body: 'too long' })).status).toBe(413);
    expect((await json.stop()).code).toBe(0);
  });

  it('unknown flags and config keys name the nearest known one', async () => {
    const flag = await run([APP, '--max-body-sise', '1']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe("wasgi: unknown option '--max-body-sise' (did you mean --max-body-size?) (see wasgi --help)\n");
    const file = path.join(dir, 'typo.config.mjs');
    writeFileSync(file, 'export default { maxRequest: 5 };\n');
    const key = await run([APP, '-c', file]);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain("unknown setting 'maxRequest' (did you mean 'maxRequests'?");
  });

  it('--help shows the bind forms and $PORT', async () => {
    const help = await run(['--help']);
    expect(help.stdout).toMatch(/:PORT\s+\(every\s+interface\)/);
    expect(help.stdout).toContain('$PORT');
    expect(help.stdout).toContain('WASGI_CMD_ARGS');
    expect(help.stdout).toContain('wasgi.config');
  });
});
