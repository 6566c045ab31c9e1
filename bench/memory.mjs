#!/usr/bin/env node
// Memory per idle keep-alive connection: RSS growth of the server process when N clients (default
// 10 000) have each made one request and stay connected, wasgi against node:http. Each server is a
// child process; the clients live in another child process and connect in batches.
//
//   node bench/memory.mjs
//
// Environment: BENCH_MEM_CONNECTIONS (default 10000), BENCH_MEM_BATCH (default 500),
// BENCH_MEM_ROUNDS (default 3; rounds alternate wasgi, node:http, wasgi, ...),
// BENCH_MEM_SETTLE_MS (wait after the last connection before reading RSS, default 2000).
// Both servers run with --expose-gc; RSS is read once settled and again after a forced full GC.
// wasgi gets keepAlive 10 min and node:http keepAliveTimeout 0 (off) so nothing idles out.
// Writes bench/results/memory-<date>.json and memory-latest.json; Markdown on stdout.

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {
  BENCH_DIR, ROOT, RESULTS_DIR, envNumber, median, freePort, startChild, stopChild, rssOf, wasmMemoryRss, waitForPort, fetchOnce,
  gitInfo, machineInfo, requireBuild, progress, progressDone, stamp, withUlimit, sleep, track, untrack, commandLine,
} from './lib/common.mjs';
import { memoryMarkdown } from './lib/markdown.mjs';

const N = Math.round(envNumber('BENCH_MEM_CONNECTIONS', 10000));
const BATCH = Math.round(envNumber('BENCH_MEM_BATCH', 500));
const ROUNDS = Math.round(envNumber('BENCH_MEM_ROUNDS', 3));
const SETTLE_MS = envNumber('BENCH_MEM_SETTLE_MS', 2000);
const MB = 2 ** 20;

const SERVERS = [
  {
    id: 'wasgi', label: 'wasgi',
    command: (port) => [process.execPath, ['--expose-gc', path.join(BENCH_DIR, 'servers', 'wasgi.mjs'), port, path.join(ROOT, 'examples', 'hello.mjs'), 'application', String(Math.max(10000, N + 100))]],
    env: { WASGI_OPTIONS: JSON.stringify({ keepAlive: 600 }) },
  },
  {
    id: 'node-http', label: 'node:http',
    command: (port) => [process.execPath, ['--expose-gc', path.join(BENCH_DIR, 'servers', 'node-http.mjs'), port, 'hello']],
    env: { IDLE: '1' },
  },
];

function startClients(port) {
  const [sh, args] = withUlimit(process.execPath, [path.join(BENCH_DIR, 'lib', 'idle-client.mjs'), port, N, BATCH]);
  const child = spawn(sh, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  if (child.pid) track(child.pid);
  child.once('exit', () => untrack(child.pid));
  const lines = [];
  let wake = null;
  readline.createInterface({ input: child.stdout }).on('line', (l) => { lines.push(JSON.parse(l)); wake?.(); });
  const next = async (timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (lines.length === 0) {
      if (child.exitCode !== null) throw new Error(`client exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('client timed out');
      await Promise.race([new Promise((r) => { wake = r; }), sleep(250)]);
    }
    return lines.shift();
  };
  return {
    child,
    next,
    async status() { child.stdin.write('status\n'); return next(10000); },
    async stop() {
      try { child.stdin.write('exit\n'); } catch { /* closed */ }
      const exited = await Promise.race([new Promise((r) => child.once('exit', () => r(true))), sleep(3000).then(() => false)]);
      if (!exited && child.exitCode === null) { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }
    },
  };
}

async function measure(server, round) {
  const port = await freePort();
  const [cmd, args] = server.command(port);
  const handle = startChild(cmd, args, { env: { ...process.env, ...server.env } });
  let clients = null;
  try {
    await waitForPort(port, handle);
    // Warm up the request path (JIT, lazy allocations) on short connections, then a baseline after GC.
    for (let i = 0; i < 200; i++) await fetchOnce(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    await sleep(500);
    process.kill(handle.pid, 'SIGUSR2');
    await sleep(700);
    const baseline = rssOf(handle.pid);
    const wasmBaseline = wasmMemoryRss(handle.pid);
    progress(`memory: round ${round}/${ROUNDS} · ${server.id} · opening ${N} connections in batches of ${BATCH}`);
    clients = startClients(port);
    const ready = await clients.next(120000);
    await sleep(SETTLE_MS);
    const settled = rssOf(handle.pid);
    process.kill(handle.pid, 'SIGUSR2');
    await sleep(1000);
    const afterGc = rssOf(handle.pid);
    const wasmAfter = wasmMemoryRss(handle.pid);
    const status = await clients.status();
    return {
      baselineMB: baseline / MB, settledMB: settled / MB, afterGcMB: afterGc / MB,
      growthSettledMB: (settled - baseline) / MB, growthAfterGcMB: (afterGc - baseline) / MB,
      bytesPerConnSettled: (settled - baseline) / status.open, bytesPerConnAfterGc: (afterGc - baseline) / status.open,
      wasmGrowthMB: wasmBaseline === null ? null : (wasmAfter - wasmBaseline) / MB,
      wasmBytesPerConn: wasmBaseline === null ? null : (wasmAfter - wasmBaseline) / status.open,
      connectMs: ready.ms, failed: ready.failed, open: status.open, closedByServer: status.closedByServer,
    };
  } finally {
    // Stop the server first so the TIME_WAIT sockets are on its side, not on the client's ports.
    await stopChild(handle, 2000);
    if (clients) await clients.stop();
  }
}

async function main() {
  requireBuild();
  const results = {
    kind: 'memory', date: new Date().toISOString(), command: commandLine('bench/memory.mjs'),
    config: { connections: N, batch: BATCH, rounds: ROUNDS, settleMs: SETTLE_MS }, machine: machineInfo(), git: gitInfo(),
    servers: {},
  };
  for (const s of SERVERS) results.servers[s.id] = { label: s.label, rounds: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of SERVERS) {
      progress(`memory: round ${round}/${ROUNDS} · ${s.id}`);
      try {
        results.servers[s.id].rounds.push(await measure(s, round));
      } catch (e) {
        results.servers[s.id].rounds.push({ error: String(e.message ?? e) });
        progress(`memory: ${s.id} round ${round} failed: ${e.message}`);
      }
    }
  }
  progressDone();
  for (const r of Object.values(results.servers)) {
    const ok = r.rounds.filter((x) => !x.error);
    for (const k of ['baselineMB', 'settledMB', 'afterGcMB', 'growthSettledMB', 'growthAfterGcMB', 'bytesPerConnSettled', 'bytesPerConnAfterGc', 'wasmGrowthMB', 'wasmBytesPerConn', 'open', 'connectMs']) {
      r[`median_${k}`] = median(ok.map((x) => x[k]));
    }
    r.anyClosedByServer = ok.reduce((a, x) => a + x.closedByServer, 0);
    r.anyFailed = ok.reduce((a, x) => a + x.failed, 0);
  }
  const w = results.servers.wasgi;
  const n = results.servers['node-http'];
  results.targets = [
    { name: 'idle RSS growth: wasgi ≤ node:http (after GC)', value: w.median_growthAfterGcMB, goal: n.median_growthAfterGcMB, holds: w.median_growthAfterGcMB <= n.median_growthAfterGcMB },
    { name: 'idle RSS growth: wasgi ≤ node:http (settled, no forced GC)', value: w.median_growthSettledMB, goal: n.median_growthSettledMB, holds: w.median_growthSettledMB <= n.median_growthSettledMB },
  ];
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = JSON.stringify(results, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  const dated = path.join(RESULTS_DIR, `memory-${stamp()}.json`);
  writeFileSync(dated, json);
  writeFileSync(path.join(RESULTS_DIR, 'memory-latest.json'), json);
  process.stdout.write(memoryMarkdown(results));
  process.stdout.write(`\nwrote ${path.relative(ROOT, dated)} and memory-latest.json\n`);
}

main().catch((e) => { progressDone(); console.error(e); process.exit(1); });
