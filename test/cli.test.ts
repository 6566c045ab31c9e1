// The wasgi command, run as a child process from dist/ (tests run after `npm run build`).

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'dist', 'host', 'cli.js');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const TIMEOUT_MS = 10_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  url: string;
  port: number;
  /** Sends `signal` and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const children = new Set<ChildProcess>();

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

function launch(args: string[], cwd: string): { child: ChildProcess; exit: Promise<Exit>; output: () => Exit } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const result: Exit = { code: null, signal: null, stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (text: string) => { result.stdout += text; });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => { result.stderr += text; });
  const exit = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ ...result, code, signal });
    });
  });
  return { child, exit, output: () => result };
}

/** Runs the command to its end (for commands that exit by themselves). */
async function run(args: string[], cwd = ROOT): Promise<Exit> {
  const { child, exit } = launch(args, cwd);
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  try {
    return await exit;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a server and waits for its "listening" line. */
async function start(args: string[], cwd = ROOT): Promise<Running> {
  const { child, exit, output } = launch(args, cwd);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${output().stderr}`)), TIMEOUT_MS);
    const check = (): void => {
      const match = /^wasgi: listening on (http:\/\/\S+)\n/m.exec(output().stdout);
      if (match === null) return;
      clearTimeout(timer);
      resolve(match[1]);
    };
    child.stdout!.on('data', check);
    void exit.then((e) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${e.code ?? e.signal} before listening; stderr: ${e.stderr}`));
    });
  });
  return {
    child,
    url,
    port: Number(new URL(url).port),
    stop: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exit;
    },
  };
}

/** `curl -s -i`: the status line, the header block and the body. */
async function curl(url: string, ...extra: string[]): Promise<{ status: string; head: string; body: string }> {
  const { stdout } = await promisify(execFile)('curl', ['-s', '-i', '--max-time', '10', ...extra, url]);
  const split = stdout.indexOf('\r\n\r\n');
  const head = stdout.slice(0, split);
  return { status: head.split('\r\n')[0], head, body: stdout.slice(split + 4) };
}

/** Serves `args` and checks that the hello example answers on `/`, then stops with SIGTERM. */
async function expectHello(args: string[], cwd = ROOT): Promise<Running> {
  const server = await start(args, cwd);
  expect(server.port).toBeGreaterThan(0);
  const response = await fetch(`${server.url}/`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain');
  expect(await response.text()).toBe('hello');
  const exit = await server.stop();
  expect(exit.code).toBe(0);
  expect(exit.stderr).toBe('');
  return server;
}

/** A failure: the exit code and one "wasgi: ..." line on stderr. */
async function expectFailure(args: string[], code: number, ...substrings: string[]): Promise<string> {
  const exit = await run(args);
  expect(exit.code).toBe(code);
  expect(exit.stdout).toBe('');
  expect(exit.stderr).toMatch(/^wasgi: [^\n]+\n$/);
  for (const text of substrings) expect(exit.stderr).toContain(text);
  return exit.stderr;
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

describe('wasgi serves', () => {
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
    expect(exit).toMatchObject({ code: 0, signal: null, stderr: '' });
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
      const server = await start([target, '--bind', '127.0.0.1:0'], fixtures);
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
});

describe('wasgi usage errors exit 2', () => {
  it('no module given', async () => {
    await expectFailure([], 2, 'no application module given');
    await expectFailure(['--bind', '127.0.0.1:0'], 2, 'no application module given');
  });

  it('unknown option', async () => {
    await expectFailure(['examples/hello.mjs', '--nope'], 2, "unknown option '--nope'");
  });

  it('missing option value', async () => {
    await expectFailure(['examples/hello.mjs', '--bind'], 2, '--bind');
    await expectFailure(['examples/hello.mjs', '-b'], 2, '--bind');
  });

  it('bad --bind values', async () => {
    for (const bind of ['localhost', '127.0.0.1:', ':8000', '127.0.0.1:http', '127.0.0.1:-1', '127.0.0.1:65536', '::1:8000', '']) {
      await expectFailure(['examples/hello.mjs', '--bind', bind], 2, 'invalid');
    }
  });

  it('a second positional argument', async () => {
    await expectFailure(['examples/hello.mjs', 'extra'], 2, "unexpected argument 'extra'");
  });
});

describe('wasgi failures exit 1', () => {
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
    } finally {
      await new Promise((resolve) => occupier.close(resolve));
    }
  });

  it('other listen errors', async () => {
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine.
    await expectFailure(['examples/hello.mjs', '--bind', '192.0.2.1:0'], 1, 'cannot listen on 192.0.2.1:0');
  });
});

describe('wasgi --help and --version', () => {
  it('--help and -h print the usage and the default bind, and exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const exit = await run([flag]);
      expect(exit.code).toBe(0);
      expect(exit.stderr).toBe('');
      expect(exit.stdout).toContain('Usage: wasgi MODULE[:CALLABLE] [--bind HOST:PORT]');
      expect(exit.stdout).toContain('127.0.0.1:8000');
    }
  });

  it('--help wins over other arguments', async () => {
    expect((await run(['examples/hello.mjs', '--help'])).code).toBe(0);
  });

  it('--version prints the package version and exits 0', async () => {
    const exit = await run(['--version']);
    expect(exit).toMatchObject({ code: 0, stderr: '', stdout: `${VERSION}\n` });
  });
});
