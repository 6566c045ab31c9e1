// Shared helpers for the benchmark scripts: child processes, ports, RSS, statistics, progress.

import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH_DIR);
export const RESULTS_DIR = process.env.BENCH_RESULTS_DIR ? path.resolve(process.env.BENCH_RESULTS_DIR) : path.join(BENCH_DIR, 'results');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function envNumber(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
}

export function median(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

/** A port that was free a moment ago (the server binds it right after). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Children started by this process, stopped by PID if the bench is interrupted.
const live = new Set();
let cleanupInstalled = false;
export function track(pid) {
  live.add(pid);
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      const all = [...live].flatMap((p) => [p, ...descendants(p)]);
      for (const p of all) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      process.stderr.write(`\ninterrupted (${sig}); stopped ${live.size} child process(es)\n`);
      process.exit(130);
    });
  }
}
export function untrack(pid) {
  live.delete(pid);
}

/** The command that produced a result, with the BENCH_* settings it ran with. */
export function commandLine(script) {
  const env = Object.keys(process.env).filter((k) => k.startsWith('BENCH_') || k === 'WRK').sort().map((k) => `${k}=${process.env[k]}`);
  return [...env, 'node', script].join(' ');
}

/** Wraps a command in a shell that raises the open-file limit as far as allowed, then execs it. */
export function withUlimit(cmd, args, nofile = 65535) {
  const quoted = [cmd, ...args].map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ');
  return ['/bin/sh', ['-c', `ulimit -n ${nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${quoted}`]];
}

/**
 * Starts a long-running child (exec'd through the ulimit shell, so its PID is the process itself).
 * Keeps the last few KiB of its stdout and stderr for error reports.
 */
export function startChild(cmd, args, { cwd = ROOT, env = process.env, nofile } = {}) {
  const [sh, shArgs] = withUlimit(cmd, args, nofile);
  const child = spawn(sh, shArgs, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d) => { log = (log + d.toString()).slice(-8192); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (child.pid) track(child.pid);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => { untrack(child.pid); resolve({ code, signal }); }));
  child.once('error', (e) => { log += `\nspawn error: ${e.message}`; });
  return { child, pid: child.pid, log: () => log, exited };
}

/** Stops a child by its PID (SIGTERM, then SIGKILL after a grace period). */
export async function stopChild(handle, graceMs = 3000) {
  if (!handle || handle.child.exitCode !== null || handle.child.signalCode !== null) return;
  const pids = [handle.pid, ...descendants(handle.pid)];
  try { process.kill(handle.pid, 'SIGTERM'); } catch { /* gone */ }
  const done = await Promise.race([handle.exited.then(() => true), sleep(graceMs).then(() => false)]);
  for (const pid of pids) {
    if (!done || pid !== handle.pid) {
      try { process.kill(pid, 0); process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  if (!done) await handle.exited;
}

/** All descendant PIDs of `pid` (from /proc/PID/task/TID/children). */
export function descendants(pid) {
  const out = [];
  const walk = (p) => {
    let tasks = [];
    try { tasks = readdirSync(`/proc/${p}/task`); } catch { return; }
    for (const t of tasks) {
      let kids = '';
      try { kids = readFileSync(`/proc/${p}/task/${t}/children`, 'latin1'); } catch { continue; }
      for (const k of kids.trim().split(/\s+/).filter(Boolean)) {
        out.push(Number(k));
        walk(Number(k));
      }
    }
  };
  walk(pid);
  return out;
}

/** VmRSS of one process, in bytes (NaN when it is gone). */
export function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** RSS of a process and all its descendants (gunicorn: master + worker), in bytes. */
export function treeRss(pid) {
  let total = rssOf(pid);
  for (const k of descendants(pid)) {
    const r = rssOf(k);
    if (Number.isFinite(r)) total += r;
  }
  return total;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port, handle, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle && handle.child.exitCode !== null) throw new Error(`server exited (code ${handle.child.exitCode}):\n${handle.log()}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms${handle ? `:\n${handle.log()}` : ''}`);
}

/**
 * Sends raw request bytes on a fresh connection and collects one response (head + body by
 * Content-Length). Returns { head, status, headers, body }.
 */
export function fetchOnce(port, requestBytes, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks = [];
    let received = 0;
    /** The body's end, once the head says it: nothing is joined before then (a 50 MB body comes in thousands of chunks). */
    let expected = -1;
    const timer = setTimeout(() => { s.destroy(); reject(new Error('response timed out')); }, timeoutMs);
    const tryParse = (final) => {
      if (!final && expected >= 0 && received < expected) return;
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) { if (final) reject(new Error(`incomplete head: ${JSON.stringify(all.toString('latin1'))}`)); return; }
      const head = all.subarray(0, end).toString('latin1');
      const lines = head.split('\r\n');
      const headers = lines.slice(1).map((l) => { const i = l.indexOf(':'); return [l.slice(0, i), l.slice(i + 1).trim()]; });
      const cl = headers.find(([n]) => n.toLowerCase() === 'content-length');
      const want = cl ? Number(cl[1]) : NaN;
      const body = all.subarray(end + 4);
      if (Number.isFinite(want)) expected = end + 4 + want;
      if ((Number.isFinite(want) && body.length >= want) || final) {
        clearTimeout(timer);
        s.destroy();
        resolve({ head, status: Number(lines[0].split(' ')[1]), headers, body: Number.isFinite(want) ? body.subarray(0, want) : body });
      }
    };
    s.on('data', (d) => { chunks.push(d); received += d.length; tryParse(false); });
    s.on('end', () => tryParse(true));
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.write(requestBytes);
  });
}

export function gitInfo() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'assembly', 'src', 'host'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return { commit, dirty: dirty.length > 0, dirtyFiles: dirty ? dirty.split('\n').map((l) => l.trim()) : [], artifacts: artifacts() };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** What was actually measured: the built core and host (they may lag the source tree). */
function artifacts() {
  const out = {};
  for (const f of ['build/wasgi.wasm', 'build/wasgi.noimports.wasm', 'dist/host/node.js', 'dist/src/core.js', 'dist/src/response.js']) {
    try {
      const p = path.join(ROOT, f);
      out[f] = { sha256: createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16), mtime: statSync(p).mtime.toISOString() };
    } catch { out[f] = null; }
  }
  return out;
}

export function machineInfo() {
  let kernel = os.release();
  let nofile = null;
  try { nofile = execFileSync('/bin/sh', ['-c', 'ulimit -n 65535 2>/dev/null || ulimit -n "$(ulimit -Hn)"; ulimit -n'], { encoding: 'utf8' }).trim(); } catch { /* ignore */ }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryMB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    kernel,
    platform: `${os.platform()} ${os.arch()}`,
    maxOpenFiles: nofile,
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
    note: 'shared, noisy 2-core machine; load generator and server run on the same cores',
  };
}

/** Checks that the core and dist exist, so the scripts fail early with a clear message. */
export function requireBuild() {
  for (const f of ['build/wasgi.wasm', 'dist/index.js', 'dist/src/core.js']) {
    if (!existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run "npm run build" first`);
  }
}

/** One progress line on stderr (rewritten in place on a terminal). */
export function progress(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(`${text}\n`);
}
export function progressDone() {
  if (process.stderr.isTTY) process.stderr.write('\n');
}

export function stamp(date = new Date()) {
  return date.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
}

export function fmtRate(n) {
  if (!Number.isFinite(n)) return '—';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return `${Math.round(n)}`;
}

export function fmtRatio(r) {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '—';
}

/**
 * Resident bytes of the WebAssembly linear memory, found as the largest anonymous read-write
 * mapping of at least 64 MiB in /proc/PID/smaps (wasgi's core reserves its memory up front for
 * every connection slot). null when there is no such mapping.
 */
export function wasmMemoryRss(pid) {
  let text;
  try { text = readFileSync(`/proc/${pid}/smaps`, 'latin1'); } catch { return null; }
  let best = null;
  let cur = null;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) { cur = { perms: head[3], name: head[4], size: 0, rss: 0 }; continue; }
    if (!cur) continue;
    const m = /^(Size|Rss):\s+(\d+) kB/.exec(line);
    if (m) {
      if (m[1] === 'Size') cur.size = Number(m[2]) * 1024;
      else {
        cur.rss = Number(m[2]) * 1024;
        if (cur.perms.startsWith('rw') && cur.name === '' && cur.size >= 64 * 2 ** 20 && (!best || cur.size > best.size)) best = cur;
      }
    }
  }
  return best ? best.rss : null;
}

/** CPU seconds (user + system) used so far by a process and its descendants (CLK_TCK 100). */
export function treeCpuSeconds(pid) {
  let ticks = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    } catch { /* gone */ }
  }
  return ticks / 100;
}
