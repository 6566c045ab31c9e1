// The wasgi command, run as a child process from dist/ (tests run after `npm run build`).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { APP, eventually, killChildren, problems, request, ROOT, run as runWasgi, sleep, start, text, type Exit, type LaunchOptions, type Wasgi } from './fixtures/wasgi.js';

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

// The tests of each block run concurrently (each with servers of its own); whatever a failed test
// left running is killed at the end.
afterAll(() => {
  killChildren();
});

const run = (args: string[], cwd = ROOT, options: LaunchOptions = {}): Promise<Exit> => runWasgi(args, { cwd, ...options });

/** `curl -s -i`: the status line, the header block and the body. */
async function curl(url: string, ...extra: string[]): Promise<{ status: string; head: string; body: string }> {
  const { stdout } = await promisify(execFile)('curl', ['-s', '-i', '--max-time', '10', ...extra, url]);
  const split = stdout.indexOf('\r\n\r\n');
  const head = stdout.slice(0, split);
  return { status: head.split('\r\n')[0], head, body: stdout.slice(split + 4) };
}

/** Serves `args` and checks that the hello example answers on `/`, then stops with SIGTERM. */
async function expectHello(args: string[], cwd = ROOT): Promise<Wasgi> {
  const server = await start(args, { cwd });
  expect(server.port).toBeGreaterThan(0);
  const response = await fetch(`${server.url}/`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain');
  expect(await response.text()).toBe('hello');
  const exit = await server.stop();
  expect(exit.code).toBe(0);
  expect(problems(exit.stderr)).toBe('');
  return server;
}

/** A failure: the exit code and one "wasgi: ..." line on stderr. */
async function expectFailure(args: string[], code: number, ...substrings: string[]): Promise<string> {
  const exit = await run(args);
  expect(exit.code, exit.stderr).toBe(code);
  expect(exit.stdout).toBe('');
  expect(exit.stderr).toMatch(/^wasgi: [^\n]+\n$/);
  for (const text of substrings) expect(exit.stderr).toContain(text);
  return exit.stderr;
}

/** Sends raw bytes on a fresh connection; resolves with all that came back until the server closed. */
function raw(port: number, bytes: string, options: { host?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, options.host ?? '127.0.0.1', () => socket.write(bytes, 'latin1'));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => { received += chunk; });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.setTimeout(options.timeoutMs ?? 10_000, () => { socket.destroy(); reject(new Error(`no close; got ${received}`)); });
  });
}

let fixtures: string;

beforeAll(() => {
  fixtures = mkdtempSync(path.join(os.tmpdir(), 'wasgi-cli-'));
  const write = (name: string, text: string): void => writeFileSync(path.join(fixtures, name), text);
  write('default.mjs', "export default (environ, startResponse) => { startResponse('200 OK', []); return ['from default']; };\n");
  write('odd:name.mjs', "export const application = (environ, startResponse) => { startResponse('200 OK', []); return ['odd']; };\n");
  write('syntax.mjs', 'export const application = ;\n');
  write('throws.mjs', "throw new Error('boom at import');\n");
  write('values.mjs', 'export const answer = 42;\nexport function helper() {}\nexport function other() {}\n');
  write('nofunctions.mjs', 'export const answer = 42;\n');
});

afterAll(() => {
  rmSync(fixtures, { recursive: true, force: true });
});

describe.concurrent('wasgi serves', () => {
  it('examples/hello.mjs:application, answering fetch and curl, and exits 0 on SIGTERM', async () => {
    const server = await start(['examples/hello.mjs:application', '--bind', '127.0.0.1:0']);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);

    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello');

    const viaCurl = await curl(`${server.url}/`);
    expect(viaCurl.status).toBe('HTTP/1.1 200 OK');
    expect(viaCurl.head).toMatch(/^Content-type: text\/plain$/im);
    expect(viaCurl.body).toBe('hello');

    const exit = await server.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(exit.signal).toBeNull();
  });

  it('exits 0 on SIGINT too', async () => {
    const server = await start(['examples/hello.mjs', '-b', '127.0.0.1:0']);
    const exit = await server.stop('SIGINT');
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(problems(exit.stderr)).toBe('');
  });

  it('uses the export "application" by default', async () => {
    await expectHello(['examples/hello.mjs', '--bind', '127.0.0.1:0']);
  });

  it('accepts --bind=HOST:PORT and -b HOST:PORT', async () => {
    await expectHello(['examples/hello.mjs', '--bind=127.0.0.1:0']);
    await expectHello(['-b', '127.0.0.1:0', 'examples/hello.mjs']);
  });

  it('accepts [IPV6]:PORT', async () => {
    const server = await expectHello(['examples/hello.mjs', '--bind', '[::1]:0']);
    expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
  });

  it('resolves MODULE against the working directory, and accepts absolute paths', async () => {
    await expectHello(['hello.mjs', '--bind', '127.0.0.1:0'], path.join(ROOT, 'examples'));
    await expectHello([path.join(ROOT, 'examples', 'hello.mjs'), '--bind', '127.0.0.1:0'], os.tmpdir());
  });

  it('serves the default export as :default', async () => {
    const server = await start([path.join(fixtures, 'default.mjs:default'), '--bind', '127.0.0.1:0']);
    expect(await (await fetch(server.url)).text()).toBe('from default');
    expect((await server.stop()).code).toBe(0);
  });

  it('keeps a colon in the path when no identifier follows it', async () => {
    for (const target of ['odd:name.mjs', 'odd:name.mjs:application']) {
      const server = await start([target, '--bind', '127.0.0.1:0'], { cwd: fixtures });
      expect(await (await fetch(server.url)).text()).toBe('odd');
      expect((await server.stop()).code).toBe(0);
    }
  });

  it('examples/async_stream.mjs: chunks without Content-Length', async () => {
    const server = await start(['examples/async_stream.mjs', '--bind', '127.0.0.1:0']);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBeNull();
    expect(await response.text()).toBe('chunk 1 of 3\nchunk 2 of 3\nchunk 3 of 3\n');

    const viaCurl = await curl(server.url);
    expect(viaCurl.status).toBe('HTTP/1.1 200 OK');
    expect(viaCurl.head).toMatch(/^Transfer-Encoding: chunked$/im);
    expect(viaCurl.body).toBe('chunk 1 of 3\nchunk 2 of 3\nchunk 3 of 3\n');
    expect((await server.stop()).code).toBe(0);
  });

  it('examples/echo_body.mjs: the request body back with its Content-Type', async () => {
    const server = await start(['examples/echo_body.mjs', '--bind', '127.0.0.1:0']);
    const response = await fetch(server.url, { method: 'POST', body: '{"a": 1}', headers: { 'Content-Type': 'application/json' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe('{"a": 1}');

    const viaCurl = await curl(server.url, '--data-binary', 'hello there', '-H', 'Content-Type: text/x-echo');
    expect(viaCurl.status).toBe('HTTP/1.1 200 OK');
    expect(viaCurl.head).toMatch(/^Content-Type: text\/x-echo$/im);
    expect(viaCurl.body).toBe('hello there');
    expect((await server.stop()).code).toBe(0);
  });

  it('one worker by default, in a primary: wsgi.multiprocess is false', async () => {
    const server = await start([APP, '-b', '127.0.0.1:0']);
    expect(server.workers()).toHaveLength(1);
    expect(JSON.parse(await text(`${server.url}/environ`))).toMatchObject({ multiprocess: false, SERVER_NAME: '127.0.0.1', SERVER_PORT: String(server.port) });
    expect((await server.stop()).code).toBe(0);
  });

  it('several --bind addresses: a listening line each, all served', async () => {
    const server = await start([APP, '-b', '127.0.0.1:0', '-b', '[::1]:0', '-w', '2']);
    await eventually(() => server.listening.length === 2, 'two listening lines');
    const [v4, v6] = server.listening;
    expect(v4).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(v6).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect(await text(v4)).toBe('hello');
    expect(await text(v6)).toBe('hello');
    expect((await server.stop()).code).toBe(0);
  });

  it('--bind unix:PATH, replacing a stale socket file, refusing one in use', async () => {
    const socket = path.join(fixtures, 'wasgi.sock');
    // A socket file left behind by a process that did not clean up.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.exit(0))`]);
    expect(existsSync(socket)).toBe(true);
    const server = await start([APP, '-b', `unix:${socket}`, '-w', '2']);
    expect(server.url).toBe(`unix:${socket}`);
    expect(await text('http://localhost/', { socketPath: socket })).toBe('hello');
    const seen = JSON.parse(await text('http://localhost/environ', { socketPath: socket })) as { REMOTE_ADDR: string; SERVER_NAME: string };
    expect(seen.SERVER_NAME).toBe(socket);
    // Forwarded headers from a Unix socket peer count (the proxy is on this machine).
    const forwarded = JSON.parse(await text('http://localhost/environ', { socketPath: socket, headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' } })) as { REMOTE_ADDR: string; scheme: string };
    expect(forwarded).toMatchObject({ REMOTE_ADDR: '203.0.113.9', scheme: 'https' });
    await expectFailure([APP, '-b', `unix:${socket}`], 1, `address already in use: unix:${socket}`);
    expect((await server.stop()).code).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });

  it('--bind fd://N: a listening socket inherited from the parent (as from systemd)', async () => {
    const listener = net.createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as net.AddressInfo;
    const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
    const server = start([APP, '-b', 'fd://3'], { extraFds: [fd] });
    // The child has its own copy now; ours would take connections too.
    await sleep(100);
    listener.close();
    const running = await server;
    expect(running.url).toBe(`http://127.0.0.1:${port}`);
    expect(await text(`http://127.0.0.1:${port}/`)).toBe('hello');
    expect((await running.stop()).code).toBe(0);
  });
});

describe.concurrent('wasgi options take effect', () => {
  it('the request limits and deadlines', async () => {
    const server = await start([APP, '-b', '127.0.0.1:0', '--limit-request-line', '64', '--limit-request-fields', '5',
      '--limit-request-field-size', '100', '--max-body-size', '10', '--keep-alive', '1', '--header-timeout', '1',
      '--body-timeout', '1', '--backlog', '16', '--log-level', 'debug']);
    expect(await text(`${server.url}/`)).toBe('hello');
    expect(await raw(server.port, `GET /${'a'.repeat(80)} HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatch(/^HTTP\/1\.1 414 /);
    const fields = Array.from({ length: 8 }, (_, i) => `X-Field-${i}: ${i}\r\n`).join('');
    expect(await raw(server.port, `GET / HTTP/1.1\r\nHost: x\r\n${fields}\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(await raw(server.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Long: ${'v'.repeat(120)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect((await request(`${server.url}/echo`, { method: 'POST', body: 'x'.repeat(100) })).status).toBe(413);
    expect((await request(`${server.url}/echo`, { method: 'POST', body: 'x'.repeat(10) })).body).toBe('x'.repeat(10));

    // Deadlines well under their defaults (5 s keep-alive, 10 s head, 30 s body).
    const timed = async (bytes: string): Promise<[string, number]> => {
      const t0 = Date.now();
      const answer = await raw(server.port, bytes);
      return [answer, Date.now() - t0];
    };
    const [[idle, idleMs], [head, headMs], [body, bodyMs]] = await Promise.all([
      timed('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      timed('GET / HTTP/1.1\r\nHost: x\r\n'),
      timed('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc'),
    ]);
    expect(idle).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*hello$/);
    expect(idleMs).toBeLessThan(4000);
    expect(head).toMatch(/^HTTP\/1\.1 408 /);
    expect(headMs).toBeLessThan(8000);
    expect(body).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyMs).toBeLessThan(20_000);
    expect((await server.stop()).code).toBe(0);
  });

  it('--limit-request-head, --max-connections and --backlog', async () => {
    const server = await start([APP, '-b', '127.0.0.1:0', '--limit-request-head', '256', '--max-connections', '1', '--backlog', '1']);
    expect(await raw(server.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'v'.repeat(300)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    // One connection holds the only slot with half a request; the next one waits for it, and the
    // one after that finds the waiting room (--backlog 1) full. (The slot of the connection just
    // answered 431 is free once the server has seen it close.)
    await eventually(async () => {
      let holderClosed = false;
      const holder = net.connect(server.port, '127.0.0.1', () => holder.write('GET / HTTP/1.1\r\n'));
      holder.on('close', () => { holderClosed = true; });
      holder.on('error', () => {});
      await sleep(200);
      let waiterAnswer = '';
      const waiter = net.connect(server.port, '127.0.0.1', () => waiter.write('GET / HTTP/1.0\r\n\r\n'));
      waiter.setEncoding('latin1').on('data', (chunk: string) => { waiterAnswer += chunk; });
      waiter.on('error', () => {});
      await sleep(200);
      const refused = holderClosed ? '' : await raw(server.port, 'GET / HTTP/1.0\r\n\r\n');
      const held = !holderClosed && waiterAnswer === '';
      holder.destroy();
      // The slot passes to the waiting connection.
      const served = await new Promise<boolean>((resolve) => {
        waiter.on('close', () => resolve(/^HTTP\/1\.1 200 /.test(waiterAnswer)));
        setTimeout(() => { waiter.destroy(); resolve(false); }, 5000);
      });
      return held && /^HTTP\/1\.1 503 /.test(refused) && served;
    }, 'a waiting connection served after the holder left, and a 503 beyond --backlog');
    await eventually(async () => (await request(server.url).catch(() => ({ status: 0 }))).status === 200, 'the slot to free up');
    const exit = await server.stop();
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/\[warning\] all 1 connections are in use and 1 more are waiting: answering 503/);
  });

  it('--forwarded-allow-ips: by default 127.0.0.1 and ::1 are trusted', async () => {
    const server = await start([APP, '-b', '127.0.0.1:0']);
    const headers = { 'X-Forwarded-For': '198.51.100.7, 192.0.2.44', 'X-Forwarded-Proto': 'https' };
    // The last hop that is not a trusted proxy is the client.
    expect(JSON.parse(await text(`${server.url}/environ`, { headers }))).toMatchObject({ REMOTE_ADDR: '192.0.2.44', scheme: 'https' });
    // From an untrusted peer the headers change nothing.
    expect(JSON.parse(await text(`${server.url}/environ`, { headers, localAddress: '127.0.0.5' }))).toMatchObject({ REMOTE_ADDR: '127.0.0.5', scheme: 'http' });
    expect(JSON.parse(await text(`${server.url}/environ`, { headers: { 'X-Forwarded-Proto': 'gopher' } }))).toMatchObject({ REMOTE_ADDR: '127.0.0.1', scheme: 'http' });
    expect((await server.stop()).code).toBe(0);
  });

  it('--forwarded-allow-ips with networks; FORWARDED_ALLOW_IPS=* trusts everyone, and the first entry is the client', async () => {
    const headers = { 'X-Forwarded-For': '198.51.100.7, 192.0.2.44', 'X-Forwarded-Proto': 'https' };
    const networks = await start([APP, '-b', '127.0.0.1:0', '--forwarded-allow-ips', '127.0.0.0/8, 192.0.2.0/24,::1']);
    expect(JSON.parse(await text(`${networks.url}/environ`, { headers, localAddress: '127.0.0.5' }))).toMatchObject({ REMOTE_ADDR: '198.51.100.7', scheme: 'https' });
    const nobody = await start([APP, '-b', '127.0.0.1:0', '--forwarded-allow-ips', '10.0.0.1']);
    expect(JSON.parse(await text(`${nobody.url}/environ`, { headers }))).toMatchObject({ REMOTE_ADDR: '127.0.0.1', scheme: 'http' });
    const everyone = await start([APP, '-b', '127.0.0.1:0'], { env: { ...process.env, FORWARDED_ALLOW_IPS: '*' } });
    expect(JSON.parse(await text(`${everyone.url}/environ`, { headers, localAddress: '127.0.0.5' }))).toMatchObject({ REMOTE_ADDR: '198.51.100.7', scheme: 'https' });
    for (const server of [networks, nobody, everyone]) expect((await server.stop()).code).toBe(0);
  });

  it('WEB_CONCURRENCY sets the default worker count', async () => {
    const server = await start([APP, '-b', '127.0.0.1:0'], { env: { ...process.env, WEB_CONCURRENCY: '2' } });
    expect(server.workers()).toHaveLength(2);
    expect((await server.stop()).code).toBe(0);
  });
});

describe.concurrent('wasgi access log', () => {
  it('--access-logfile FILE: one line per response in the combined log format', async () => {
    const log = path.join(fixtures, 'access.log');
    const server = await start([APP, '-b', '127.0.0.1:0', '-w', '2', '--access-logfile', log]);
    await request(`${server.url}/bytes?n=2500`, { headers: { Referer: 'http://example.com/from', 'User-Agent': 'agent/1.0' } });
    await request(`${server.url}/`, { method: 'HEAD', headers: { 'User-Agent': 'agent/1.0' } });
    await request(`${server.url}/status?s=404%20Not%20Found`);
    await request(`${server.url}/`, { headers: { Authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}`, 'User-Agent': 'quote"and\\slash' } });
    await request(`${server.url}/echo`, { method: 'POST', body: 'hello' });
    await request(`${server.url}/throw`);
    await raw(server.port, 'GET /old HTTP/1.0\r\n\r\n');
    const lines = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') : []);
    await eventually(() => lines().length === 7, '7 access log lines');
    const t = String.raw`\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]`;
    const expected = [
      String.raw`127\.0\.0\.1 - - ${t} "GET /bytes\?n=2500 HTTP/1\.1" 200 2500 "http://example\.com/from" "agent/1\.0"`,
      String.raw`127\.0\.0\.1 - - ${t} "HEAD / HTTP/1\.1" 200 - "-" "agent/1\.0"`,
      String.raw`127\.0\.0\.1 - - ${t} "GET /status\?s=404%20Not%20Found HTTP/1\.1" 404 - "-" "-"`,
      String.raw`127\.0\.0\.1 - alice ${t} "GET / HTTP/1\.1" 200 5 "-" "quote\\"and\\\\slash"`,
      String.raw`127\.0\.0\.1 - - ${t} "POST /echo HTTP/1\.1" 200 5 "-" "-"`,
      String.raw`127\.0\.0\.1 - - ${t} "GET /throw HTTP/1\.1" 500 \d+ "-" "-"`,
      String.raw`127\.0\.0\.1 - - ${t} "GET /old HTTP/1\.0" 200 5 "-" "-"`,
    ];
    const all = lines();
    for (const pattern of expected) expect(all.some((line) => new RegExp(`^${pattern}$`).test(line)), `${pattern} in\n${all.join('\n')}`).toBe(true);
    expect((await server.stop()).code).toBe(0);
  });

  it('--access-logfile: the server\'s own rejections, and X-Forwarded-For hops that are not addresses', async () => {
    const log = path.join(fixtures, 'rejections.log');
    const server = await start([APP, '-b', '127.0.0.1:0', '--access-logfile', log, '--limit-request-line', '64', '--log-level', 'debug']);
    expect(await raw(server.port, 'BAD\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(server.port, `GET /${'a'.repeat(100)} HTTP/1.1\r\nHost: a\r\n\r\n`)).toMatch(/^HTTP\/1\.1 414 /);
    const forged = await raw(server.port, 'GET /environ HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6 - admin [01/Jan/2020] "GET /forged\r\nUser-Agent: caf\xe9 "x"\r\nConnection: close\r\n\r\n');
    expect(JSON.parse(forged.slice(forged.indexOf('\r\n\r\n') + 4))).toMatchObject({ REMOTE_ADDR: '127.0.0.1' });
    const lines = (): string[] => (existsSync(log) ? readFileSync(log, 'latin1').split('\n').filter((l) => l !== '') : []);
    await eventually(() => lines().length === 3, '3 access log lines');
    const t = String.raw`\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]`;
    expect(lines()).toEqual([
      expect.stringMatching(new RegExp(String.raw`^127\.0\.0\.1 - - ${t} "-" 400 \d+ "-" "-"$`)),
      expect.stringMatching(new RegExp(String.raw`^127\.0\.0\.1 - - ${t} "-" 414 \d+ "-" "-"$`)),
      expect.stringMatching(new RegExp(String.raw`^127\.0\.0\.1 - - ${t} "GET /environ HTTP/1\.1" 200 \d+ "-" "caf\\xe9 \\"x\\""$`)),
    ]);
    await server.waitFor(/\[debug\] 127\.0\.0\.1: ignored an X-Forwarded-For hop that is not an IP address/);
    expect((await server.stop()).code).toBe(0);
  });

  it('--access-logformat with the other atoms, and - for stdout', async () => {
    const format = '%(m)s|%(U)s|%(q)s|%(H)s|%(s)s|%(B)s|%(b)s|%(D)s|%(L)s|%(M)s|%(T)s|%(p)s|%({x-test}i)s|%({x-served-by}o)s|%({WASGI_TEST_VAR}e)s|%(h)s|100%%';
    const server = await start([APP, '-b', '127.0.0.1:0', '--access-logfile', '-', '--access-logformat', format], { env: { ...process.env, WASGI_TEST_VAR: 'from-env' } });
    await request(`${server.url}/bytes?n=10`, { headers: { 'X-Test': 'sent' } });
    await request(`${server.url}/slow?ms=50`);
    await server.waitFor(/^GET\|\/slow/m, 'stdout');
    const [pid] = server.workers();
    expect(server.stdout).toMatch(new RegExp(String.raw`^GET\|/bytes\|n=10\|HTTP/1\.1\|200\|10\|10\|\d+\|\d+\.\d{6}\|\d+\|0\|<${pid}>\|sent\|fixture\|from-env\|127\.0\.0\.1\|100%$`, 'm'));
    const slow = /^GET\|\/slow\|ms=50\|HTTP\/1\.1\|200\|\d+\|\d+\|(\d+)\|(\d+\.\d{6})\|(\d+)\|/m.exec(server.stdout);
    expect(slow).not.toBeNull();
    const [, us, s, msText] = slow as RegExpExecArray;
    expect(Number(us)).toBeGreaterThanOrEqual(40_000);
    expect(Number(s)).toBeCloseTo(Number(us) / 1e6, 5);
    expect(Math.abs(Number(msText) - Number(us) / 1000)).toBeLessThanOrEqual(1);
    expect((await server.stop()).code).toBe(0);
  });
});

describe.concurrent('wasgi error log and log level', () => {
  it('--error-logfile FILE gets wsgi.errors, application errors and the primary\'s messages', async () => {
    const log = path.join(fixtures, 'error.log');
    const server = await start([APP, '-b', '127.0.0.1:0', '--error-logfile', log]);
    await request(`${server.url}/errors`);
    expect((await request(`${server.url}/throw`)).status).toBe(500);
    server.signal('SIGTTIN');
    await eventually(() => existsSync(log) && readFileSync(log, 'utf8').includes('SIGTTIN: 2 workers'), 'the primary\'s line');
    const content = readFileSync(log, 'utf8');
    expect(content).toContain('message from the application\n');
    expect(content).toMatch(/\[error\] GET \/throw: application error\nError: thrown by the application/);
    const exit = await server.stop();
    expect(exit).toMatchObject({ code: 0, stderr: '' }); // everything went to the error log file
  });

  it('--log-level debug logs rejected requests; --log-level error leaves out info, not wsgi.errors', async () => {
    const debug = await start([APP, '-b', '127.0.0.1:0', '--log-level', 'debug']);
    expect(await raw(debug.port, 'BAD\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    await debug.waitFor(/\[debug\] 127\.0\.0\.1: 400 /);
    expect(debug.stderr).toMatch(/\[debug\] worker \d+ listening/);

    const quiet = await start([APP, '-b', '127.0.0.1:0', '--log-level', 'ERROR']);
    expect(await raw(quiet.port, 'BAD\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    quiet.signal('SIGTTIN');
    await eventually(() => quiet.workers().length === 2, 'a second worker');
    await request(`${quiet.url}/errors`);
    await quiet.waitFor(/message from the application/);
    expect(quiet.stderr).not.toMatch(/\[(debug|info)\]/);

    const normal = await start([APP, '-b', '127.0.0.1:0']);
    normal.signal('SIGTTIN');
    await normal.waitFor(/\[info\] SIGTTIN: 2 workers/);
    expect(normal.stderr).not.toMatch(/\[debug\]/);
    for (const server of [debug, quiet, normal]) expect((await server.stop()).code).toBe(0);
  });
});

describe.concurrent('wasgi --config', () => {
  it('a default export of settings, the application included', async () => {
    const log = path.join(fixtures, 'config-access.log');
    const config = path.join(fixtures, 'default.config.mjs');
    writeFileSync(config, `export default { app: ${JSON.stringify(APP)}, bind: ['127.0.0.1:0'], workers: 2, accessLogfile: ${JSON.stringify(log)}, keepAlive: 2 };\n`);
    const server = await start(['--config', config]);
    expect(server.workers()).toHaveLength(2);
    expect(JSON.parse(await text(`${server.url}/environ`))).toMatchObject({ multiprocess: true });
    await eventually(() => existsSync(log) && readFileSync(log, 'utf8').includes('"GET /environ HTTP/1.1" 200'), 'an access log line');
    expect((await server.stop()).code).toBe(0);
  });

  it('named exports; the command line wins over the file', async () => {
    const config = path.join(fixtures, 'named.config.mjs');
    writeFileSync(config, "export const bind = '127.0.0.1:1';\nexport const workers = '2';\nexport const logLevel = 'debug';\n");
    const server = await start(['-c', config, APP, '-b', '127.0.0.1:0', '-w', '1']);
    expect(server.workers()).toHaveLength(1);
    expect(JSON.parse(await text(`${server.url}/environ`))).toMatchObject({ multiprocess: false });
    expect(server.stderr).toMatch(/\[debug\]/);
    expect((await server.stop()).code).toBe(0);
  });

  it('a wrong config file is a one-line error naming the file and the setting, exit 2', async () => {
    const write = (name: string, text: string): string => {
      const file = path.join(fixtures, name);
      writeFileSync(file, text);
      return file;
    };
    const cases: [string, string[]][] = [
      [write('unknown.config.mjs', 'export default { wokers: 2 };\n'), ["unknown setting 'wokers'"]],
      [write('value.config.mjs', "export default { workers: 'many' };\n"), ['value.config.mjs: workers must be a positive integer, got "many"']],
      [write('bind.config.mjs', "export const bind = ['127.0.0.1:0', 'nowhere:port'];\n"), ['bind.config.mjs: bind must be HOST:PORT, [IPV6]:PORT, :PORT, HOST, unix:PATH or fd://N, got "nowhere:port"']],
      [write('level.config.mjs', "export const logLevel = 3;\n"), ['logLevel must be one of debug, info, warning, error, critical, got 3']],
      [write('notobject.config.mjs', 'export default 42;\n'), ['the default export must be an object of settings, got 42']],
      [write('broken.config.mjs', 'export default {\n'), ['cannot import config file', 'SyntaxError']],
      [path.join(fixtures, 'missing.config.mjs'), ['--config: file not found', 'missing.config.mjs']],
    ];
    await Promise.all(cases.map(([file, substrings]) => expectFailure(['-c', file, APP], 2, ...substrings)));
  });
});

describe.concurrent('wasgi --check-config', () => {
  it('checks everything, loads the application, prints "configuration OK" and exits 0 without listening', async () => {
    const occupier = net.createServer();
    await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', resolve));
    const { port } = occupier.address() as net.AddressInfo;
    try {
      const exit = await run(['--check-config', APP, '-b', `127.0.0.1:${port}`, '-w', '4', '--access-logfile', path.join(fixtures, 'check.log')]);
      expect(exit).toMatchObject({ code: 0, stdout: 'configuration OK\n', stderr: '' });
    } finally {
      await new Promise((resolve) => occupier.close(resolve));
    }
    const config = path.join(fixtures, 'check.config.mjs');
    writeFileSync(config, `export default { app: ${JSON.stringify(`${APP}:application`)} };\n`);
    expect(await run(['--check-config', '-c', config])).toMatchObject({ code: 0, stdout: 'configuration OK\n' });
  });

  it('fails as serving would: the application (exit 1), options and log files (exit 2)', async () => {
    await Promise.all([
      expectFailure(['--check-config', 'examples/hello.mjs:nope'], 1, "no export 'nope'"),
      expectFailure(['--check-config', path.join(fixtures, 'syntax.mjs')], 1, 'cannot import', 'SyntaxError'),
      expectFailure(['--check-config', APP, '--workers', '0'], 2, '--workers must be a positive integer, got "0"'),
      expectFailure(['--check-config', APP, '--access-logfile', '/nonexistent/dir/access.log'], 2, '--access-logfile: cannot open /nonexistent/dir/access.log'),
      expectFailure(['--check-config', APP, '--error-logfile', '/nonexistent/dir/error.log'], 2, '--error-logfile: cannot open'),
      expectFailure(['--check-config', APP, '--max-connections', '100000', '--limit-request-head', '1000000'], 2, '--max-connections', 'lower one of them'),
    ]);
  });
});

describe.concurrent('wasgi TypeScript applications', () => {
  const tsxNextToWasgi = ((): boolean => {
    try {
      createRequire(path.join(ROOT, 'index.js')).resolve('tsx/esm/api');
      return true;
    } catch {
      return false;
    }
  })();

  it('without tsx: a clear error (or, with tsx installed, the application is served)', async () => {
    const app = path.join(ROOT, 'test', 'fixtures', 'app.ts');
    if (tsxNextToWasgi) {
      const server = await start([app, '-b', '127.0.0.1:0']);
      expect(await text(server.url)).toBe('hello from TypeScript');
      expect((await server.stop()).code).toBe(0);
    } else {
      await expectFailure([app, '-b', '127.0.0.1:0'], 1, `${app} is TypeScript, which needs tsx: install it (npm install tsx)`);
      await expectFailure(['--check-config', app], 1, 'needs tsx');
    }
  });

  it('with tsx next to the application: its register() hooks load .ts files', async () => {
    // A stand-in for tsx/esm/api: register() installs a loader that compiles .ts with TypeScript.
    const dir = path.join(fixtures, 'ts-project');
    const pkg = path.join(dir, 'node_modules', 'tsx');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'tsx', type: 'module', exports: { './esm/api': './api.mjs' } }));
    writeFileSync(path.join(pkg, 'api.mjs'), "import { register as hook } from 'node:module';\nexport function register() { hook('./hooks.mjs', import.meta.url); }\n");
    const typescript = createRequire(path.join(ROOT, 'index.js')).resolve('typescript');
    writeFileSync(path.join(pkg, 'hooks.mjs'), `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
const ts = createRequire(import.meta.url)(${JSON.stringify(typescript)});
export async function load(url, context, nextLoad) {
  if (!/\\.m?ts$/.test(new URL(url).pathname)) return nextLoad(url, context);
  const source = readFileSync(fileURLToPath(url), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  return { format: 'module', source: outputText, shortCircuit: true };
}
`);
    writeFileSync(path.join(dir, 'app.ts'), readFileSync(path.join(ROOT, 'test', 'fixtures', 'app.ts'), 'utf8'));
    writeFileSync(path.join(dir, 'wasgi.config.mts'), "const workers: number = 2;\nexport default { workers, bind: '127.0.0.1:0' };\n");
    const server = await start(['-c', 'wasgi.config.mts', 'app.ts'], { cwd: dir });
    expect(server.workers()).toHaveLength(2);
    expect(await text(server.url)).toBe('hello from TypeScript');
    expect((await server.stop()).code).toBe(0);
  });
});

describe.concurrent('wasgi usage errors exit 2', () => {
  it('no module given', async () => {
    await expectFailure([], 2, 'no application module given');
    await expectFailure(['--bind', '127.0.0.1:0'], 2, 'no application module given');
  });

  it('unknown option', async () => {
    await expectFailure(['examples/hello.mjs', '--nope'], 2, "unknown option '--nope'");
    await expectFailure(['examples/hello.mjs', '-x'], 2, "unknown option '-x'");
  });

  it('missing option value', async () => {
    await expectFailure(['examples/hello.mjs', '--bind'], 2, '--bind needs a value');
    await expectFailure(['examples/hello.mjs', '-b'], 2, '--bind needs a value');
    await expectFailure(['examples/hello.mjs', '--config'], 2, '--config needs a value');
  });

  it('bad --bind values', async () => {
    const bad = ['127.0.0.1:', ':', '127.0.0.1:http', 'tcp://', 'host:80:80', '127.0.0.1:-1', '127.0.0.1:65536', '::1:8000', '', '[nope]:80', 'unix:', 'fd://x'];
    await Promise.all(bad.map((bind) => expectFailure(['examples/hello.mjs', '--bind', bind], 2, '--bind must', `got ${JSON.stringify(bind)}`)));
    await expectFailure(['examples/hello.mjs', '--bind', 'fd://99'], 2, '--bind fd://99: file descriptor 99 is not an open socket');
  });

  it('every option with a wrong value: one line naming it and the value', async () => {
    const cases: [string[], string][] = [
      [['--workers', 'x'], '--workers must be a positive integer, got "x"'],
      [['-w', '0'], '--workers must be a positive integer, got "0"'],
      [['-w', '-1'], '--workers must be a positive integer, got "-1"'],
      [['--timeout', 'soon'], '--timeout must be a non-negative number of seconds, got "soon"'],
      [['-t', '-1'], '--timeout must be a non-negative number of seconds, got "-1"'],
      [['--graceful-timeout', '1e3'], '--graceful-timeout must be a non-negative number of seconds, got "1e3"'],
      [['--keep-alive', '0'], '--keep-alive must be a positive number of seconds, got "0"'],
      [['--max-requests', '1.5'], '--max-requests must be a non-negative integer, got "1.5"'],
      [['--max-requests-jitter', 'some'], '--max-requests-jitter must be a non-negative integer, got "some"'],
      [['--backlog', '0'], '--backlog must be an integer from 1 to 65535, got "0"'],
      [['--backlog', '70000'], '--backlog must be an integer from 1 to 65535, got "70000"'],
      [['--access-logfile', ''], '--access-logfile must be a file name, or - for stdout, got ""'],
      [['--access-logformat', '%(h)s %(zz)s'], '--access-logformat must use known atoms (unknown atom %(zz)s), got "%(h)s %(zz)s"'],
      [['--error-logfile', ''], '--error-logfile must be a file name, or - for stderr, got ""'],
      [['--log-level', 'loud'], '--log-level must be one of debug, info, warning, error, critical, got "loud"'],
      [['--forwarded-allow-ips', '10.0.0.300'], '--forwarded-allow-ips must be a comma-separated list of IP addresses or networks, or "*" ("10.0.0.300" is not an IP address or network), got "10.0.0.300"'],
      [['--forwarded-allow-ips', '10.0.0.0/33'], '"10.0.0.0/33" is not an IP address or network'],
      [['--limit-request-line', '8'], '--limit-request-line must be an integer from 16 to 2147483647, got "8"'],
      [['--limit-request-fields', '0'], '--limit-request-fields must be an integer from 1 to 2147483647, got "0"'],
      [['--limit-request-field-size', 'big'], '--limit-request-field-size must be an integer from 16 to 2147483647, got "big"'],
      [['--limit-request-head', '10'], '--limit-request-head must be an integer from 64 to 2147483647, got "10"'],
      [['--max-body-size', '-1'], '--max-body-size must be a non-negative integer, got "-1"'],
      [['--max-connections', '0'], '--max-connections must be an integer from 1 to 2147483647, got "0"'],
      [['--header-timeout', '0'], '--header-timeout must be a positive number of seconds, got "0"'],
      [['--body-timeout', 'never'], '--body-timeout must be a positive number of seconds, got "never"'],
      [['--check-config=yes'], '--check-config takes no value'],
      [['--config', ''], '--config must be a file name, got ""'],
    ];
    const results = await Promise.all(cases.map(([args, message]) => run([APP, ...args]).then((exit) => ({ args, message, exit }))));
    for (const { args, message, exit } of results) {
      expect(exit.code, args.join(' ')).toBe(2);
      expect(exit.stdout).toBe('');
      expect(exit.stderr).toMatch(/^wasgi: [^\n]+\n$/);
      expect(exit.stderr).toContain(message);
    }
    const env = await run([APP], ROOT, { env: { ...process.env, WEB_CONCURRENCY: 'lots' } });
    expect(env).toMatchObject({ code: 2, stderr: 'wasgi: WEB_CONCURRENCY must be a positive integer, got "lots"\n' });
  });

  it('a second positional argument', async () => {
    await expectFailure(['examples/hello.mjs', 'extra'], 2, "unexpected argument 'extra'");
  });
});

describe.concurrent('wasgi failures exit 1', () => {
  it('module not found, naming the resolved path', async () => {
    await expectFailure(['no/such/module.mjs:application'], 1, 'module not found', path.join(ROOT, 'no', 'such', 'module.mjs'));
  });

  it('module that fails to import, saying why', async () => {
    await expectFailure([path.join(fixtures, 'syntax.mjs')], 1, 'cannot import', 'syntax.mjs', 'SyntaxError');
    await expectFailure([path.join(fixtures, 'throws.mjs')], 1, 'cannot import', 'boom at import');
  });

  it('callable missing, listing the function exports', async () => {
    await expectFailure(['examples/hello.mjs:nope'], 1, "no export 'nope'", 'function exports: application');
    await expectFailure([path.join(fixtures, 'default.mjs')], 1, "no export 'application'", 'function exports: default');
  });

  it('callable not a function', async () => {
    await expectFailure([path.join(fixtures, 'values.mjs:answer')], 1, "'answer' is not a function", 'number', 'helper, other');
    await expectFailure([path.join(fixtures, 'nofunctions.mjs')], 1, "no export 'application'", 'no functions');
  });

  it('address in use, naming the address', async () => {
    const occupier = net.createServer();
    await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', resolve));
    const { port } = occupier.address() as net.AddressInfo;
    try {
      await expectFailure(['examples/hello.mjs', '--bind', `127.0.0.1:${port}`], 1, `address already in use: 127.0.0.1:${port}`);
      await expectFailure(['examples/hello.mjs', '-w', '2', '--bind', `127.0.0.1:${port}`], 1, `address already in use: 127.0.0.1:${port}`);
    } finally {
      await new Promise((resolve) => occupier.close(resolve));
    }
  });

  it('other listen errors', async () => {
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine.
    await expectFailure(['examples/hello.mjs', '--bind', '192.0.2.1:0'], 1, 'cannot listen on 192.0.2.1:0');
    await expectFailure(['examples/hello.mjs', '--bind', '192.0.2.1:8000'], 1, 'cannot listen on 192.0.2.1:8000');
  });
});

describe.concurrent('wasgi --help and --version', () => {
  it('--help and -h print the usage, every option and the default bind, and exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const exit = await run([flag]);
      expect(exit.code).toBe(0);
      expect(exit.stderr).toBe('');
      expect(exit.stdout).toContain('Usage: wasgi [OPTIONS] MODULE[:CALLABLE]');
      expect(exit.stdout).toContain('127.0.0.1:8000');
      for (const option of ['--bind', '--workers', '--timeout', '--graceful-timeout', '--keep-alive', '--max-requests',
        '--max-requests-jitter', '--backlog', '--access-logfile', '--access-logformat', '--error-logfile', '--log-level',
        '--forwarded-allow-ips', '--config', '--limit-request-line', '--limit-request-fields', '--limit-request-field-size',
        '--limit-request-head', '--max-body-size', '--max-connections', '--header-timeout', '--body-timeout',
        '--check-config', '--version', '--help']) {
        expect(exit.stdout).toContain(`${option} `);
      }
    }
  });

  it('--help wins over other arguments', async () => {
    expect((await run(['examples/hello.mjs', '--help'])).code).toBe(0);
    expect((await run(['--workers', 'x', '--help'])).code).toBe(0);
  });

  it('--version and -v print the package version and exit 0', async () => {
    for (const flag of ['--version', '-v']) {
      const exit = await run([flag]);
      expect(exit).toMatchObject({ code: 0, stderr: '', stdout: `${VERSION}\n` });
    }
  });
});
