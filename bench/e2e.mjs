#!/usr/bin/env node
// End-to-end HTTP benchmark: wasgi against node:http, a raw node:net ceiling, and (where installed)
// gunicorn and waitress, every server a child process on 127.0.0.1, load from wrk.
//
//   node bench/e2e.mjs                       (npm run bench runs it with the other benches)
//
// Environment:
//   BENCH_SECONDS    seconds per timed run (default 3)
//   BENCH_ROUNDS     rounds per server per scenario (default 3); rounds alternate A B C A B C ...
//   BENCH_WARMUP     seconds of untimed warm-up per server per scenario (default 1)
//   BENCH_WRK_THREADS wrk threads (default 1: one core for wrk, one for the server)
//   BENCH_SCENARIOS  comma-separated subset of: hello,close,nginx,nginx-keepalive,pipelined,post1k,big64k,c1000,file50m
//                    (the nginx ones put nginx in front of each server: NGINX, default /usr/sbin/nginx)
//   BENCH_SERVERS    comma-separated subset of: wasgi,wasgi-command,wasgi-command-2,node-http,raw-net,bun,uws,gunicorn,waitress
//                    (bun and uws are installed by the bench into bench/.peers on first use)
//   BENCH_PYTHON     Python interpreter for gunicorn/waitress (default: python3, then /usr/bin/python3)
//   BENCH_GUNICORN_WORKERS  gunicorn sync workers (default 1, one process like the Node servers)
//
//   BENCH_RESULTS_DIR where results go (default bench/results)
//
// Writes bench/results/e2e-<date>.json, bench/results/e2e-latest.json and e2e-latest.svg, and
// prints a Markdown table on stdout. Progress goes to stderr.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import {
  BENCH_DIR, ROOT, RESULTS_DIR, envNumber, median, freePort, startChild, stopChild, treeRss, treeCpuSeconds, waitForPort,
  fetchOnce, gitInfo, machineInfo, requireBuild, progress, progressDone, stamp, withUlimit, sleep, track, untrack, commandLine,
} from './lib/common.mjs';
import { renderChart } from './lib/chart.mjs';
import { nginxAvailable, startNginx } from './lib/nginx.mjs';
import { bunAvailable, uwsAvailable } from './lib/peers.mjs';
import { e2eMarkdown } from './lib/markdown.mjs';

const SECONDS = Math.round(envNumber('BENCH_SECONDS', 3));
const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 3));
const WARMUP = process.env.BENCH_WARMUP === '0' ? 0 : Math.round(envNumber('BENCH_WARMUP', 1));
const WRK_THREADS = Math.round(envNumber('BENCH_WRK_THREADS', 1));
const GUNICORN_WORKERS = Math.round(envNumber('BENCH_GUNICORN_WORKERS', 1));
const WRK = process.env.WRK ?? '/usr/bin/wrk';
const LUA = path.join(BENCH_DIR, 'lua', 'bench.lua');
const PY_APPS = path.join(BENCH_DIR, 'apps');

const POST_BODY = Buffer.alloc(1024, 'x');
const BIG_BODY = Buffer.alloc(65536, 'x');

const SCENARIOS = [
  { id: 'hello', title: 'hello, keep-alive', detail: '64 connections', mode: 'hello', connections: 64, wrkMode: 'get' },
  { id: 'close', title: 'hello, Connection: close', detail: '32 connections, a new one per request', mode: 'hello', connections: 32, wrkMode: 'close' },
  { id: 'nginx', title: 'hello, behind nginx', detail: '64 connections to nginx; its default upstream: a new connection per request', mode: 'hello', connections: 64, wrkMode: 'get', via: 'nginx' },
  { id: 'nginx-keepalive', title: 'hello, behind nginx, upstream keepalive', detail: '64 connections to nginx; upstream keepalive 64, HTTP/1.1', mode: 'hello', connections: 64, wrkMode: 'get', via: 'nginx-keepalive' },
  { id: 'pipelined', title: 'hello, pipelined ×16', detail: '64 connections, 16 requests per batch', mode: 'hello', connections: 64, wrkMode: 'pipeline' },
  { id: 'post1k', title: 'POST 1 KiB, echoed', detail: '64 connections', mode: 'echo', connections: 64, wrkMode: 'post' },
  { id: 'big64k', title: '64 KiB response', detail: '64 connections', mode: 'big', connections: 64, wrkMode: 'get' },
  { id: 'file50m', title: '50 MB file', detail: '4 connections; wsgi.file_wrapper(path) against fs.createReadStream', mode: 'file', connections: 4, wrkMode: 'get', only: ['wasgi', 'wasgi-command', 'node-http'] },
  { id: 'c1000', title: 'hello, 1 000 connections', detail: '1 000 keep-alive connections', mode: 'hello', connections: 1000, wrkMode: 'get' },
];

const WASGI_APPS = {
  hello: path.join(ROOT, 'examples', 'hello.mjs'),
  echo: path.join(ROOT, 'examples', 'echo_body.mjs'),
  big: path.join(BENCH_DIR, 'apps', 'big.mjs'),
  file: path.join(BENCH_DIR, 'apps', 'file.mjs'),
};

/** The file scenario's 50 MB of random bytes, made once per run (servers read BENCH_FILE). */
const FILE = path.join(os.tmpdir(), `wasgi-bench-file-${process.pid}.bin`);
let fileBody = null;
function makeFile() {
  fileBody ??= randomBytes(50 * 1024 * 1024);
  writeFileSync(FILE, fileBody);
  process.env.BENCH_FILE = FILE;
}

/** Which Python has the module, or null. */
function pythonWith(module) {
  const candidates = process.env.BENCH_PYTHON ? [process.env.BENCH_PYTHON] : ['python3', '/usr/bin/python3'];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', `import ${module}`], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

function python(module, debianPackage) {
  const py = pythonWith(module);
  return py ? { ok: true, found: py } : { ok: false, reason: `Python module ${module} not installed (apt-get install ${debianPackage})` };
}

/** The wasgi command as users run it: a primary and `workers` workers. */
const wasgiCommand = (workers) => (port, mode) => [process.execPath,
  [path.join(ROOT, 'dist', 'host', 'cli.js'), `${WASGI_APPS[mode]}:application`, '-b', `127.0.0.1:${port}`, '-w', String(workers), '--log-level', 'warning']];

// command(port, mode, found, closing): found is what available() found (a Python, a binary, a
// module path); closing is true in the Connection: close scenario.
const SERVERS = [
  {
    id: 'wasgi', label: 'wasgi', color: '#d9480f',
    available: () => ({ ok: true }),
    command: (port, mode) => [process.execPath, [path.join(BENCH_DIR, 'servers', 'wasgi.mjs'), port, WASGI_APPS[mode]]],
  },
  {
    id: 'wasgi-command', label: 'wasgi command, 1 worker', color: '#f08c00',
    available: () => ({ ok: true }),
    command: wasgiCommand(1),
  },
  {
    id: 'wasgi-command-2', label: 'wasgi command, 2 workers', color: '#fab005',
    available: () => ({ ok: true }),
    command: wasgiCommand(2),
  },
  {
    id: 'node-http', label: 'node:http', color: '#1c7ed6',
    available: () => ({ ok: true }),
    command: (port, mode) => [process.execPath, [path.join(BENCH_DIR, 'servers', 'node-http.mjs'), port, mode]],
  },
  {
    id: 'raw-net', label: 'raw node:net (ceiling)', color: '#868e96',
    available: () => ({ ok: true }),
    command: (port, mode, py, closing) => [process.execPath, [path.join(BENCH_DIR, 'servers', 'raw-net.mjs'), port, mode, ...(closing ? ['close'] : [])]],
  },
  {
    id: 'bun', label: 'Bun.serve', color: '#f783ac',
    available: () => { const a = bunAvailable(); return a.ok ? { ok: true, found: a.bin } : a; },
    command: (port, mode, bin) => [bin, [path.join(BENCH_DIR, 'servers', 'bun-serve.mjs'), port, mode]],
  },
  {
    id: 'uws', label: 'uWebSockets.js', color: '#5c940d',
    available: () => { const a = uwsAvailable(); return a.ok ? { ok: true, found: a.module } : a; },
    command: (port, mode, module) => [process.execPath, [path.join(BENCH_DIR, 'servers', 'uws.mjs'), port, mode, module]],
  },
  {
    id: 'gunicorn', label: `gunicorn (sync, ${GUNICORN_WORKERS} worker${GUNICORN_WORKERS > 1 ? 's' : ''})`, color: '#2b8a3e',
    available: () => python('gunicorn', 'python3-gunicorn'),
    command: (port, mode, py) => [py, ['-m', 'gunicorn', '-w', String(GUNICORN_WORKERS), '-k', 'sync', '--backlog', '2048',
      '--log-level', 'warning', '-b', `127.0.0.1:${port}`, '--chdir', PY_APPS, `wsgi_app:${mode}`]],
  },
  {
    id: 'waitress', label: 'waitress (4 threads)', color: '#7048e8',
    available: () => python('waitress', 'python3-waitress'),
    command: (port, mode, py) => [py, ['-m', 'waitress', `--listen=127.0.0.1:${port}`, `wsgi_app:${mode}`]],
    cwd: PY_APPS,
  },
];

function requestFor(mode) {
  if (mode === 'echo') {
    return Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${POST_BODY.length}\r\n\r\n`, 'latin1'), POST_BODY]);
  }
  return Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'latin1');
}

function expectedBody(mode) {
  return mode === 'echo' ? POST_BODY : mode === 'big' ? BIG_BODY : mode === 'file' ? fileBody : Buffer.from('hello');
}

/** Checks one response: status 200, Content-Type text/plain, Content-Length and body as expected. */
async function verify(port, mode) {
  const r = await fetchOnce(port, requestFor(mode));
  const body = expectedBody(mode);
  const get = (n) => r.headers.find(([k]) => k.toLowerCase() === n)?.[1];
  const problems = [];
  if (r.status !== 200) problems.push(`status ${r.status}`);
  if (get('content-type') !== 'text/plain') problems.push(`Content-Type ${get('content-type')}`);
  if (get('content-length') !== String(body.length)) problems.push(`Content-Length ${get('content-length')}`);
  if (!r.body.equals(body)) problems.push(`body of ${r.body.length} bytes differs`);
  if (problems.length) throw new Error(`unexpected response (${problems.join(', ')}):\n${r.head}`);
  return r.head;
}

/** Runs wrk once; resolves to the numbers its done() hook printed. */
function runWrk(port, scenario, seconds) {
  return new Promise((resolve, reject) => {
    const args = ['-t', String(Math.min(WRK_THREADS, scenario.connections)), '-c', String(scenario.connections),
      '-d', `${seconds}s`, '--timeout', '2s', '-s', LUA, `http://127.0.0.1:${port}/`];
    const [sh, shArgs] = withUlimit(WRK, args);
    const child = spawn(sh, shArgs, {
      cwd: ROOT,
      env: { ...process.env, WRK_MODE: scenario.wrkMode, WRK_PIPELINE: '16', WRK_BODY: String(POST_BODY.length) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) track(child.pid);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const killer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, (seconds + 20) * 1000);
    child.once('error', (e) => { clearTimeout(killer); reject(e); });
    child.once('exit', (code) => {
      untrack(child.pid);
      clearTimeout(killer);
      const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
      if (!line) { reject(new Error(`wrk exited ${code} without a summary:\n${out.slice(-2000)}`)); return; }
      const j = JSON.parse(line.slice(8));
      const errors = j.connect + j.read + j.write + j.status + j.timeout;
      resolve({ rps: j.requests / (j.duration_us / 1e6), requests: j.requests, seconds: j.duration_us / 1e6, errors,
        errorDetail: { connect: j.connect, read: j.read, write: j.write, status: j.status, timeout: j.timeout },
        latencyUs: { mean: j.lat_mean_us, p50: j.lat_p50_us, p99: j.lat_p99_us, max: j.lat_max_us } });
    });
  });
}

function fmtDuration(s) {
  s = Math.max(0, Math.round(s));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

async function main() {
  requireBuild();
  if (!existsSync(WRK)) throw new Error(`wrk not found at ${WRK} (apt-get install -y wrk, or set WRK=/path/to/wrk)`);
  const pickScenarios = process.env.BENCH_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean);
  const pickServers = process.env.BENCH_SERVERS?.split(',').map((s) => s.trim()).filter(Boolean);
  const nginx = nginxAvailable();
  const scenarios = SCENARIOS.filter((s) => (!pickScenarios || pickScenarios.includes(s.id)) && (s.via === undefined || nginx.ok));
  if (!nginx.ok) progress(`e2e: the nginx scenarios are skipped: ${nginx.reason}`);
  const servers = [];
  const skipped = {};
  for (const s of SERVERS) {
    if (pickServers && !pickServers.includes(s.id)) continue;
    const a = s.available();
    if (a.ok) servers.push({ ...s, found: a.found ?? null });
    else skipped[s.id] = a.reason;
  }
  for (const [id, why] of Object.entries(skipped)) progress(`e2e: ${id} skipped: ${why}`);

  const started = Date.now();
  const perScenario = servers.length * (WARMUP + ROUNDS * SECONDS) + servers.length * 2;
  const totalRuns = scenarios.length * servers.length * ROUNDS;
  progress(`e2e: ${scenarios.length} scenarios × ${servers.length} servers × ${ROUNDS} rounds × ${SECONDS}s (+${WARMUP}s warm-up), about ${fmtDuration(perScenario * scenarios.length)}`);

  const results = {
    kind: 'e2e',
    date: new Date().toISOString(),
    command: commandLine('bench/e2e.mjs'),
    config: { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: WARMUP, wrkThreads: WRK_THREADS, wrkTimeout: '2s', pipelineDepth: 16, postBodyBytes: 1024, bigBodyBytes: 65536, gunicornWorkers: GUNICORN_WORKERS },
    machine: machineInfo(),
    git: gitInfo(),
    servers: servers.map(({ id, label, color }) => ({ id, label, color })),
    skipped,
    scenarios: [],
  };

  let done = 0;
  for (const [si, scenario] of scenarios.entries()) {
    const entry = { id: scenario.id, title: scenario.title, detail: scenario.detail, connections: scenario.connections, wrkMode: scenario.wrkMode, servers: {} };
    results.scenarios.push(entry);
    // Start every server of this scenario, then alternate between them.
    const running = [];
    if (scenario.mode === 'file') makeFile();
    for (const server of servers) {
      if (scenario.only !== undefined && !scenario.only.includes(server.id)) continue;
      const port = await freePort();
      const [cmd, args] = server.command(port, scenario.mode, server.found, scenario.wrkMode === 'close');
      const handle = startChild(cmd, args, { cwd: server.cwd ?? ROOT });
      const rec = { server, port, handle, rounds: [], error: null, responseHead: null };
      entry.servers[server.id] = rec;
      try {
        await waitForPort(port, handle);
        rec.responseHead = await verify(port, scenario.mode);
        rec.rssIdle = treeRss(handle.pid);
        if (scenario.via !== undefined) {
          // wrk talks to nginx, nginx to the server.
          rec.port = await freePort();
          rec.nginx = startNginx(rec.port, port, scenario.via === 'nginx-keepalive');
          await waitForPort(rec.port, rec.nginx.handle);
          await verify(rec.port, scenario.mode);
        }
        running.push(rec);
      } catch (e) {
        rec.error = String(e.message ?? e);
        progress(`e2e: ${server.id} failed to start for ${scenario.id}: ${rec.error.split('\n')[0]}`);
        await rec.nginx?.stop();
        await stopChild(handle);
      }
    }
    try {
      if (WARMUP > 0) {
        for (const rec of running) {
          progress(`e2e [${si + 1}/${scenarios.length}] ${scenario.id} · warm-up · ${rec.server.id} · ${fmtDuration((Date.now() - started) / 1000)} elapsed`);
          try { await runWrk(rec.port, scenario, WARMUP); } catch (e) { rec.error = `warm-up: ${e.message}`; }
        }
      }
      for (let round = 1; round <= ROUNDS; round++) {
        for (const rec of running) {
          const elapsed = (Date.now() - started) / 1000;
          const left = (totalRuns - done) * (SECONDS + 0.3) + (scenarios.length - si - 1) * servers.length * (WARMUP + 1);
          progress(`e2e [${si + 1}/${scenarios.length}] ${scenario.id} · round ${round}/${ROUNDS} · ${rec.server.id} · ${fmtDuration(elapsed)} elapsed, ~${fmtDuration(left)} left`);
          done++;
          if (rec.handle.child.exitCode !== null) {
            rec.error ??= `server exited (code ${rec.handle.child.exitCode}): ${rec.handle.log().slice(-500)}`;
            continue;
          }
          try {
            const cpu0 = treeCpuSeconds(rec.handle.pid);
            const r = await runWrk(rec.port, scenario, SECONDS);
            r.serverCpu = (treeCpuSeconds(rec.handle.pid) - cpu0) / r.seconds;
            r.rssBytes = treeRss(rec.handle.pid);
            rec.rounds.push(r);
          } catch (e) {
            rec.rounds.push({ rps: NaN, error: String(e.message ?? e) });
          }
          await sleep(200);
        }
      }
    } finally {
      for (const rec of running) {
        await rec.nginx?.stop();
        await stopChild(rec.handle);
      }
    }
    // Summaries.
    for (const rec of Object.values(entry.servers)) {
      rec.medianRps = median(rec.rounds.map((r) => r.rps));
      rec.medianRssMB = median(rec.rounds.map((r) => r.rssBytes / 2 ** 20));
      rec.maxRssMB = Math.max(...rec.rounds.map((r) => r.rssBytes / 2 ** 20).filter(Number.isFinite), -Infinity);
      rec.idleRssMB = rec.rssIdle / 2 ** 20;
      rec.totalErrors = rec.rounds.reduce((a, r) => a + (r.errors ?? 0), 0);
      rec.medianP99Us = median(rec.rounds.map((r) => r.latencyUs?.p99));
      rec.medianServerCpu = median(rec.rounds.map((r) => r.serverCpu));
    }
    const base = entry.servers['node-http']?.medianRps;
    const ceil = entry.servers['raw-net']?.medianRps;
    const paired = (rec, other) => (other ? median(rec.rounds.map((r, i) => r.rps / other.rounds[i]?.rps)) : NaN);
    for (const rec of Object.values(entry.servers)) {
      rec.ratioNodeHttp = base ? rec.medianRps / base : NaN;
      rec.ratioRaw = ceil ? rec.medianRps / ceil : NaN;
      // The same ratios taken within each round (neighbouring runs), then the median: less
      // sensitive to the machine getting busier or quieter during the scenario.
      rec.pairedRatioNodeHttp = paired(rec, entry.servers['node-http']);
      rec.pairedRatioRaw = paired(rec, entry.servers['raw-net']);
    }
    // Make the JSON plain (no handles).
    for (const [id, rec] of Object.entries(entry.servers)) {
      entry.servers[id] = {
        label: rec.server.label, port: rec.port, error: rec.error, responseHead: rec.responseHead,
        medianRps: rec.medianRps, ratioNodeHttp: rec.ratioNodeHttp, ratioRaw: rec.ratioRaw,
        pairedRatioNodeHttp: rec.pairedRatioNodeHttp, pairedRatioRaw: rec.pairedRatioRaw,
        medianRssMB: rec.medianRssMB, maxRssMB: rec.maxRssMB, idleRssMB: rec.idleRssMB,
        totalErrors: rec.totalErrors, medianP99Us: rec.medianP99Us, medianServerCpu: rec.medianServerCpu, rounds: rec.rounds,
      };
    }
  }
  rmSync(FILE, { force: true });
  progress(`e2e: finished in ${fmtDuration((Date.now() - started) / 1000)}`);
  progressDone();

  results.machine.loadAverageAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
  results.targets = targets(results);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = JSON.stringify(results, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  const dated = path.join(RESULTS_DIR, `e2e-${stamp()}.json`);
  writeFileSync(dated, json);
  writeFileSync(path.join(RESULTS_DIR, 'e2e-latest.json'), json);
  const svg = renderChart(results);
  writeFileSync(dated.replace(/\.json$/, '.svg'), svg);
  writeFileSync(path.join(RESULTS_DIR, 'e2e-latest.svg'), svg);
  process.stdout.write(e2eMarkdown(results));
  process.stdout.write(`\nwrote ${path.relative(ROOT, dated)} (and .svg), e2e-latest.json and e2e-latest.svg in ${path.relative(ROOT, RESULTS_DIR) || '.'}\n`);
}

function targets(results) {
  const get = (sc, sv, k) => results.scenarios.find((s) => s.id === sc)?.servers[sv]?.[k];
  const t = [];
  const num = (v) => (Number.isFinite(v) ? v : null);
  const add = (name, value, paired, goal) => t.push({ name, value: num(value), paired: num(paired), goal, holds: Number.isFinite(value) ? value >= goal : null });
  add('hello keep-alive: wasgi / node:http', get('hello', 'wasgi', 'ratioNodeHttp'), get('hello', 'wasgi', 'pairedRatioNodeHttp'), 1.2);
  add('hello keep-alive: wasgi / raw node:net', get('hello', 'wasgi', 'ratioRaw'), get('hello', 'wasgi', 'pairedRatioRaw'), 0.9);
  add('pipelined: wasgi / node:http', get('pipelined', 'wasgi', 'ratioNodeHttp'), get('pipelined', 'wasgi', 'pairedRatioNodeHttp'), 6);
  add('Connection: close: wasgi / node:http', get('close', 'wasgi', 'ratioNodeHttp'), get('close', 'wasgi', 'pairedRatioNodeHttp'), 1.3);
  add('Connection: close: wasgi / raw closing node:net', get('close', 'wasgi', 'ratioRaw'), get('close', 'wasgi', 'pairedRatioRaw'), 0.9);
  add('Connection: close: wasgi command, 1 worker / node:http', get('close', 'wasgi-command', 'ratioNodeHttp'), get('close', 'wasgi-command', 'pairedRatioNodeHttp'), 1.2);
  add('Connection: close: wasgi command, 2 workers / 1 worker', get('close', 'wasgi-command-2', 'medianRps') / get('close', 'wasgi-command', 'medianRps'), NaN, 1);
  add('behind nginx, default upstream: wasgi command, 1 worker / node:http', get('nginx', 'wasgi-command', 'ratioNodeHttp'), get('nginx', 'wasgi-command', 'pairedRatioNodeHttp'), 1.2);
  add('behind nginx, upstream keepalive: wasgi command, 1 worker / node:http', get('nginx-keepalive', 'wasgi-command', 'ratioNodeHttp'), get('nginx-keepalive', 'wasgi-command', 'pairedRatioNodeHttp'), 1.8);
  add('1 000 connections: wasgi / node:http', get('c1000', 'wasgi', 'ratioNodeHttp'), get('c1000', 'wasgi', 'pairedRatioNodeHttp'), 2);
  add('1 000 connections: wasgi / raw node:net', get('c1000', 'wasgi', 'ratioRaw'), get('c1000', 'wasgi', 'pairedRatioRaw'), 0.9);
  return t;
}

main().catch((e) => {
  progressDone();
  console.error(e);
  process.exit(1);
});
