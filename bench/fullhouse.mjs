#!/usr/bin/env node
// A full house: every one of the server's maxConnections slots is held by an idle keep-alive
// connection (N clients, default 10 000, that made one request each and stay silent), and new
// clients keep coming, a new connection per request (wrk, Connection: close). How many of the new
// requests are served, and how fast.
//
//   node bench/fullhouse.mjs
//
// Environment: BENCH_FULL_CONNECTIONS (default 10000), BENCH_FULL_SECONDS (default 5),
// BENCH_FULL_NEWCOMERS (wrk connections, default 16). wasgi runs with maxConnections = N and
// keepAlive 10 min, so no idle connection leaves by itself.
// Writes bench/results/fullhouse-<date>.json and fullhouse-latest.json; Markdown on stdout.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {
  BENCH_DIR, ROOT, RESULTS_DIR, envNumber, freePort, startChild, stopChild, waitForPort,
  gitInfo, machineInfo, requireBuild, progress, progressDone, stamp, withUlimit, sleep, track, untrack, commandLine,
} from './lib/common.mjs';

const N = Math.round(envNumber('BENCH_FULL_CONNECTIONS', 10000));
const SECONDS = Math.round(envNumber('BENCH_FULL_SECONDS', 5));
const NEWCOMERS = Math.round(envNumber('BENCH_FULL_NEWCOMERS', 16));
const WRK = process.env.WRK ?? '/usr/bin/wrk';

/** The idle clients: resolves once all N have their answer; status() counts those the server closed. */
function startClients(port) {
  const [sh, args] = withUlimit(process.execPath, [path.join(BENCH_DIR, 'lib', 'idle-client.mjs'), port, N, 500]);
  const child = spawn(sh, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  if (child.pid) track(child.pid);
  child.once('exit', () => untrack(child.pid));
  const lines = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => lines.push(JSON.parse(l)));
  const next = async () => {
    const deadline = Date.now() + 120_000;
    while (lines.length === 0) {
      if (child.exitCode !== null) throw new Error(`idle clients exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('idle clients timed out');
      await sleep(50);
    }
    return lines.shift();
  };
  return {
    next,
    async status() { child.stdin.write('status\n'); return next(); },
    stop() { try { child.stdin.write('exit\n'); } catch { /* closed */ } setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000).unref(); },
  };
}

async function main() {
  requireBuild();
  const port = await freePort();
  const server = startChild(process.execPath, [path.join(BENCH_DIR, 'servers', 'wasgi.mjs'), String(port), path.join(ROOT, 'examples', 'hello.mjs'), 'application', String(N)],
    { env: { ...process.env, WASGI_OPTIONS: JSON.stringify({ keepAlive: 600 }) } });
  let clients = null;
  try {
    await waitForPort(port, server);
    progress(`fullhouse: opening ${N} idle connections`);
    clients = startClients(port);
    const ready = await clients.next();
    if (ready.failed > 0) throw new Error(`${ready.failed} idle connections failed to open`);
    progress(`fullhouse: ${N} idle; ${NEWCOMERS} newcomers for ${SECONDS} s`);
    const args = ['-t', '1', '-c', String(NEWCOMERS), '-d', `${SECONDS}s`, '--timeout', '2s', '-s', path.join(BENCH_DIR, 'lua', 'bench.lua'), `http://127.0.0.1:${port}/`];
    const [sh, shArgs] = withUlimit(WRK, args);
    const r = spawnSync(sh, shArgs, { env: { ...process.env, WRK_MODE: 'close' }, encoding: 'utf8', timeout: (SECONDS + 30) * 1000 });
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('WRKJSON '));
    if (!line) throw new Error(`wrk gave no summary: ${r.stdout}${r.stderr}`);
    const w = JSON.parse(line.slice(8));
    const failed = w.connect + w.read + w.write + w.status + w.timeout;
    const { closedByServer } = await clients.status();
    progressDone();
    const result = {
      kind: 'fullhouse', date: new Date().toISOString(), command: commandLine('bench/fullhouse.mjs'), machine: machineInfo(), git: gitInfo(),
      idle: N, newcomers: NEWCOMERS, seconds: SECONDS,
      requests: w.requests, failed, errors: { connect: w.connect, read: w.read, write: w.write, status: w.status, timeout: w.timeout },
      // No answer at all in the run (every newcomer waiting): nothing was served.
      servedShare: w.requests === 0 ? 0 : w.requests / (w.requests + failed), rps: w.requests / (w.duration_us / 1e6),
      latencyUs: { p50: w.lat_p50_us, p99: w.lat_p99_us, max: w.lat_max_us }, idleClosedByServer: closedByServer,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const json = JSON.stringify(result, null, 2);
    writeFileSync(path.join(RESULTS_DIR, `fullhouse-${stamp()}.json`), json);
    writeFileSync(path.join(RESULTS_DIR, 'fullhouse-latest.json'), json);
    process.stdout.write([
      '',
      `### A full house: ${N} idle keep-alive connections hold every slot; ${NEWCOMERS} clients open a new connection per request for ${SECONDS} s`,
      '',
      '| new requests | served | failed (connect/read/write/status/timeout) | req/s | p50 | p99 | max | idle connections closed to make room |',
      '|---:|---:|---|---:|---:|---:|---:|---:|',
      `| ${w.requests + failed} | ${(100 * result.servedShare).toFixed(2)}% | ${failed} (${w.connect}/${w.read}/${w.write}/${w.status}/${w.timeout}) | ${result.rps.toFixed(0)} | ${(w.lat_p50_us / 1000).toFixed(1)} ms | ${(w.lat_p99_us / 1000).toFixed(1)} ms | ${(w.lat_max_us / 1000).toFixed(1)} ms | ${closedByServer} |`,
      '',
    ].join('\n'));
  } finally {
    clients?.stop();
    await stopChild(server);
  }
}

main().catch((e) => {
  progressDone();
  console.error(e);
  process.exit(1);
});
