// wasgi behind nginx, as deployed: two instances in one upstream (keepalive connections, retry on
// the other on error or timeout). Forwarded headers count only from trusted peers; rolling SIGHUP
// reloads and a graceful SIGTERM of one instance lose no request.
//
// nginx must be installed (.ci/run installs it): without it these tests fail, they do not skip.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP, eventually, killChildren, load, sleep, start, text, type Wasgi } from '../fixtures/wasgi.js';
import { freePort } from '../helpers/net.js';

/** The nginx binary: on PATH, or where Debian puts it. */
function findNginx(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();
  if (found !== '') return found;
  return ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((p) => existsSync(p)) ?? null;
}

/** What a location sends upstream: HTTP/1.1 with keepalive, the Host, and the forwarded headers. */
function HEADERS(scheme: string): string {
  return `      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto ${scheme};`;
}

function nginxConfig(dir: string, port: number, upstreams: number[]): string {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return `${root ? 'user root;\n' : ''}worker_processes 1;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

  upstream wasgi {
    # A keep-alive connection that a reloading instance closed while idle is retried on the next
    # server, but nginx still counts it as a failure: with max_fails=1 a rolling reload could mark
    # every server down for fail_timeout ("no live upstreams"). A server that is really gone
    # refuses connections, and the request moves on at once.
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=0;`).join('\n')}
    keepalive 16;
    # Shorter than wasgi's --keep-alive (5 s): nginx closes an idle connection before wasgi does.
    keepalive_timeout 4s;
  }

  server {
    listen 127.0.0.1:${port};
    proxy_next_upstream error timeout;
    proxy_connect_timeout 2s;
    proxy_read_timeout 30s;

    location / {
      proxy_pass http://wasgi;
${HEADERS('$scheme')}
    }
    # As if nginx terminated TLS. (proxy_set_header is inherited only by a level that sets none.)
    location /tls/ {
      proxy_pass http://wasgi/;
${HEADERS('https')}
    }
  }
}
`;
}

interface Seen {
  REMOTE_ADDR: string;
  scheme: string;
  SERVER_PORT: string;
}

let dir: string;
let nginx: ChildProcess | null = null;
let nginxExit: Promise<unknown> = Promise.resolve();
let nginxUrl: string;
/** Trusts 127.0.0.1 (the default): nginx's forwarded headers count. */
let trusting: Wasgi;
/** Trusts no one: the peer address stays. */
let distrusting: Wasgi;

/** Why the setup failed: every test then fails with it (a failing beforeAll would only skip them). */
let setupError: Error | null = null;

function ready(): void {
  if (setupError !== null) throw setupError;
}

beforeAll(async () => {
  try {
    await setUp();
  } catch (error) {
    setupError = error as Error;
  }
}, 30_000);

async function setUp(): Promise<void> {
  const binary = findNginx();
  if (binary === null) throw new Error('nginx is not installed (.ci/run installs it: apt-get install nginx)');
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasgi-nginx-'));
  [trusting, distrusting] = await Promise.all([
    start([APP, '-b', '127.0.0.1:0', '--workers', '1', '--graceful-timeout', '10']),
    start([APP, '-b', '127.0.0.1:0', '--workers', '1', '--graceful-timeout', '10', '--forwarded-allow-ips', '']),
  ]);
  const port = await freePort();
  nginxUrl = `http://127.0.0.1:${port}`;
  writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig(dir, port, [trusting.port, distrusting.port]));
  nginx = spawn(binary, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  nginx.stderr!.setEncoding('utf8').on('data', (t: string) => { stderr += t; });
  nginxExit = new Promise((resolve) => nginx!.on('close', resolve));
  let exited = false;
  void nginxExit.then(() => { exited = true; });
  await eventually(async () => {
    if (exited) throw new Error(`nginx exited: ${stderr}`);
    return text(`${nginxUrl}/`, { timeoutMs: 1000 }).then(() => true, () => false);
  }, 'nginx to answer');
}

afterAll(async () => {
  nginx?.kill('SIGTERM');
  await nginxExit;
  killChildren();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function nginxErrors(): string {
  return readFileSync(path.join(dir, 'error.log'), 'utf8');
}

/** What the instance behind `url` saw of a request. */
async function environ(url: string, options: Parameters<typeof text>[1] = {}): Promise<Seen> {
  return JSON.parse(await text(`${url}/environ`, options)) as Seen;
}

describe('wasgi behind nginx', () => {
  it('believes X-Forwarded-For and X-Forwarded-Proto only from trusted peers', async () => {
    ready();
    // Through nginx, from 127.0.0.2: each instance answers some of the requests.
    const byInstance = new Map<string, Seen[]>();
    await eventually(async () => {
      for (const prefix of ['', '/tls']) {
        const seen = await environ(`${nginxUrl}${prefix}`, { localAddress: '127.0.0.2' });
        byInstance.set(seen.SERVER_PORT, [...(byInstance.get(seen.SERVER_PORT) ?? []), seen]);
      }
      return byInstance.size === 2;
    }, 'both instances to answer through nginx');
    for (const seen of byInstance.get(String(trusting.port)) ?? []) {
      expect(seen.REMOTE_ADDR).toBe('127.0.0.2');
    }
    for (const seen of byInstance.get(String(distrusting.port)) ?? []) {
      expect(seen.REMOTE_ADDR).toBe('127.0.0.1');
      expect(seen.scheme).toBe('http');
    }
    const schemes = new Set((byInstance.get(String(trusting.port)) ?? []).map((s) => s.scheme));
    // Both locations alternate over the instances; ask the trusting one until it saw the TLS location.
    await eventually(async () => {
      const seen = await environ(`${nginxUrl}/tls`, { localAddress: '127.0.0.2' });
      if (seen.SERVER_PORT === String(trusting.port)) schemes.add(seen.scheme);
      return schemes.has('https');
    }, 'the trusting instance to see https');

    // Forged headers sent straight to the instances.
    const forged = { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Proto': 'https' };
    expect(await environ(distrusting.url, { headers: forged })).toMatchObject({ REMOTE_ADDR: '127.0.0.1', scheme: 'http' });
    expect(await environ(trusting.url, { headers: forged, localAddress: '127.0.0.3' })).toMatchObject({ REMOTE_ADDR: '127.0.0.3', scheme: 'http' });
    // From a trusted peer, the same headers count.
    expect(await environ(trusting.url, { headers: forged })).toMatchObject({ REMOTE_ADDR: '6.6.6.6', scheme: 'https' });
  });

  it('a rolling SIGHUP of both instances under load fails no request', async () => {
    ready();
    const before = new Set([...trusting.workers(), ...distrusting.workers()]);
    let finish!: () => void;
    const running = load(`${nginxUrl}/pid`, 4, new Promise<void>((resolve) => { finish = resolve; }));
    await sleep(300);
    for (const instance of [trusting, distrusting]) {
      const reloads = instance.stderr.match(/reload complete/g)?.length ?? 0;
      instance.signal('SIGHUP');
      await eventually(() => (instance.stderr.match(/reload complete/g)?.length ?? 0) > reloads, 'the reload to complete');
    }
    await sleep(500);
    finish();
    const result = await running;
    expect(result.failures, nginxErrors()).toEqual([]);
    expect(result.ok).toBeGreaterThan(20);
    // The replaced workers exit once their last responses are out.
    await eventually(() => trusting.workers().length + distrusting.workers().length === 2, 'the old workers to exit');
    for (const pid of [...trusting.workers(), ...distrusting.workers()]) expect(before.has(pid)).toBe(false);
  });

  it('a graceful SIGTERM of one instance: nginx moves the traffic to the other, no request fails', async () => {
    ready();
    const survivors = new Set(distrusting.workers().map(String));
    let finish!: () => void;
    const running = load(`${nginxUrl}/pid`, 4, new Promise<void>((resolve) => { finish = resolve; }));
    await sleep(300);
    const exit = await trusting.stop('SIGTERM');
    expect(exit.code).toBe(0);
    // Once it is gone, every answer comes from the other instance.
    const after = await load(`${nginxUrl}/pid`, 2, sleep(500));
    finish();
    const result = await running;
    expect(result.failures, nginxErrors()).toEqual([]);
    expect(after.failures, nginxErrors()).toEqual([]);
    expect(result.ok).toBeGreaterThan(10);
    expect([...after.bodies.keys()].every((pid) => survivors.has(pid))).toBe(true);
    expect(readFileSync(path.join(dir, 'error.log'), 'utf8')).not.toMatch(/no live upstreams/);
  });
});
