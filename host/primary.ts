// The primary, the arbiter of the command's processes. It opens the listening sockets (binds.ts)
// and keeps --workers worker processes (worker.ts) that inherit them and accept on them
// themselves, restarts one that dies (backing off when they keep
// dying, giving up after too many fast failures), replaces one after --max-requests, kills one
// whose event loop stops its heartbeat for --timeout, and answers signals as gunicorn does:
//
//   TERM, INT  stop gracefully (--graceful-timeout)   QUIT  stop at once
//   HUP        replace the workers one by one          USR1  reopen the log files
//   TTIN/TTOU  one worker more / less
//
// A replacement is always started, and listening, before the worker it replaces is stopped, so a
// reload refuses no connection; the sockets outlive every worker, so a connection that comes while
// none listens waits in the backlog rather than being refused.

import { fork, type ChildProcess } from 'node:child_process';
import type { ErrorLog } from '../src/errors.js';
import { Listeners } from './binds.js';
import type { Bind, Settings } from './config.js';
import { LogFile } from './logfile.js';
import { checkLogFiles, openErrorLog, type ErrorLogs } from './process-logs.js';
import { ms } from './settings.js';
import { planEnv, SETTLE_MS, type FromWorker, type ToWorker, type WorkerPlan } from './worker-messages.js';

/** A worker that dies this soon after it started (or before it listened) failed fast. */
const FAST_FAILURE_MS = 10_000;
/** Fast failures in a row before the primary gives up. */
const MAX_FAST_FAILURES = 6;
/** Fast failures older than this are forgotten. */
const FAILURE_MEMORY_MS = 60_000;
/** The longest pause before restarting a worker. */
const MAX_BACKOFF_MS = 5_000;
/** A booting worker may be silent at least this long (Node's start and the application's import). */
const BOOT_TIMEOUT_MS = 30_000;
/** After its graceful time a stopping worker gets this much more before SIGKILL. */
const STOP_MARGIN_MS = 2_000;
/** QUIT: how long a worker has to close everything before SIGKILL. */
const QUICK_STOP_MS = 1_000;

function workers(n: number): string {
  return n === 1 ? '1 worker' : `${n} workers`;
}

/** How a worker ended, for the log. */
function exitHow(code: number | null, signal: string | null): string {
  return signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
}

function backoff(failures: number): number {
  return failures <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 100 * 2 ** (failures - 2));
}

interface WorkerRecord {
  worker: ChildProcess;
  pid: number;
  state: 'booting' | 'ready' | 'stopping';
  born: number;
  lastBeat: number;
  generation: number;
  addresses: string[];
  /** The worker this one is to replace once it listens. */
  replaces?: WorkerRecord;
  /** The worker booting to replace this one. */
  replacedBy?: WorkerRecord;
  /** It served --max-requests: replace it. */
  retire: boolean;
  fatal: boolean;
  timedOut: boolean;
  killTimer?: NodeJS.Timeout;
}

class Primary {
  private readonly records = new Map<number, WorkerRecord>();
  private readonly log: ErrorLog;
  private readonly errorLogs: ErrorLogs;
  /** The "listening on" lines. */
  private readonly stdout: LogFile;
  private desired: number;
  private generation = 0;
  private reloads = 0;
  private reloading = false;
  /** A replacement failed to boot: no more replacing until the next SIGHUP. */
  private replacementBroken = false;
  private failures = 0;
  private lastFailure = 0;
  private spawnAfter = 0;
  private spawnTimer: NodeJS.Timeout | null = null;
  private readonly checker: NodeJS.Timeout | null = null;
  private announced = false;
  private stopping: 'graceful' | 'quick' | null = null;
  /** The signal that stopped the primary, and when. */
  private stopReason = '';
  private stopStarted = 0;
  /** Exiting because of an error (a worker could not start, or they keep dying). */
  private exiting = false;
  private exitCode = 0;
  private resolveDone!: (code: number) => void;
  readonly done = new Promise<number>((resolve) => { this.resolveDone = resolve; });
  private readonly signals: [NodeJS.Signals, () => void][];

  /** What the settings (before port 0 was resolved) asked for, to tell what a reload changes. */
  private configured: { workers: number; bind: Bind[] };

  constructor(
    private settings: Settings,
    private readonly reloadSettings: ((reload: number) => Promise<Settings>) | null,
    configured: Settings,
    private readonly workerScript: string,
    private readonly listeners: Listeners,
  ) {
    this.configured = { workers: configured.workers, bind: configured.bind };
    this.errorLogs = openErrorLog(settings, '');
    this.log = this.errorLogs.log;
    this.stdout = new LogFile('output', '-', 'stdout');
    this.stdout.report = (message) => this.log.log('error', message);
    this.desired = settings.workers;
    const timeout = settings.timeout > 0 ? ms(settings.timeout) : 0;
    if (timeout > 0) this.checker = setInterval(() => this.checkHeartbeats(timeout), Math.min(1000, Math.max(50, timeout / 4)));
    this.signals = [
      ['SIGTERM', () => this.stop('graceful', 'SIGTERM')],
      ['SIGINT', () => this.stop('graceful', 'SIGINT')],
      ['SIGQUIT', () => this.stop('quick', 'SIGQUIT')],
      ['SIGHUP', () => void this.reload()],
      ['SIGTTIN', () => this.resize(+1)],
      ['SIGTTOU', () => this.resize(-1)],
      ['SIGUSR1', () => this.reopenLogs()],
    ];
    for (const [signal, handler] of this.signals) process.on(signal, handler);
    this.maintain();
  }

  private live(): WorkerRecord[] {
    return [...this.records.values()].filter((r) => r.state !== 'stopping');
  }

  /** Live workers not about to be replaced: the ones the worker count is about. */
  private counted(): WorkerRecord[] {
    return this.live().filter((r) => r.replacedBy === undefined);
  }

  private spawn(replaces?: WorkerRecord): void {
    // The sockets follow stdio and the IPC channel: a socket's index in the worker's stdio is its descriptor there.
    const stdio = ['inherit', 'inherit', 'inherit', 'ipc'] as const;
    const fds = this.listeners.fds;
    const plan: WorkerPlan = { settings: this.settings, multiprocess: this.desired > 1, fds: fds.map((_, i) => stdio.length + i) };
    const worker = fork(this.workerScript, [], { env: { ...process.env, ...planEnv(plan) }, stdio: [...stdio, ...fds] });
    const now = Date.now();
    const record: WorkerRecord = {
      worker, pid: worker.pid ?? 0, state: 'booting', born: now, lastBeat: now,
      generation: this.generation, addresses: [], retire: false, fatal: false, timedOut: false,
    };
    if (replaces !== undefined) {
      record.replaces = replaces;
      replaces.replacedBy = record;
    }
    this.records.set(record.pid, record);
    worker.on('message', (message: FromWorker) => this.onMessage(record, message));
    worker.on('exit', (code, signal) => this.onExit(record, code, signal));
    worker.on('error', () => { /* the IPC channel of a worker that is gone; 'exit' follows */ });
    this.log.log('debug', `worker ${record.pid} booting${replaces ? ` to replace worker ${replaces.pid}` : ''}`);
  }

  /** Brings the workers to the count wanted, and replaces one stale worker at a time. */
  private maintain(): void {
    if (this.stopping !== null || this.exiting) return;
    const counted = this.counted();
    const missing = this.desired - counted.length;
    if (missing > 0) {
      const wait = this.spawnAfter - Date.now();
      if (wait > 0) {
        this.spawnTimer ??= setTimeout(() => { this.spawnTimer = null; this.maintain(); }, wait);
      } else {
        for (let i = 0; i < missing; i++) this.spawn();
      }
      return;
    }
    if (missing < 0) {
      // Fewer wanted (TTOU): the oldest go, as in gunicorn, but one still booting goes first, so
      // the workers that stay are the ones already listening.
      const oldest = counted.filter((r) => r.replaces === undefined)
        .sort((a, b) => Number(b.state === 'booting') - Number(a.state === 'booting') || a.born - b.born);
      for (const record of oldest.slice(0, -missing)) this.stopWorker(record, 'graceful');
    }
    if (this.replacementBroken || this.live().some((r) => r.replaces !== undefined)) return;
    const stale = this.counted().find((r) => r.state === 'ready' && (r.retire || r.generation < this.generation));
    if (stale !== undefined) {
      this.spawn(stale);
    } else if (this.reloading && this.announced) {
      this.reloading = false;
      this.log.log('info', `SIGHUP: reload complete; ${workers(this.counted().length)}`);
    }
  }

  private onMessage(record: WorkerRecord, message: FromWorker): void {
    record.lastBeat = Date.now();
    switch (message.wasgi) {
      case 'beat':
        break;
      case 'listening':
        if (record.state !== 'booting') break;
        record.state = 'ready';
        record.addresses = message.addresses;
        this.onReady(record);
        break;
      case 'retire':
        if (record.retire || record.state !== 'ready') break;
        record.retire = true;
        this.log.log('info', `worker ${record.pid} served ${message.served} requests (--max-requests): replacing it`);
        this.maintain();
        break;
      case 'fatal':
        record.fatal = true;
        if (!this.announced) {
          this.fail(message.message, message.code);
        } else {
          this.log.log('error', `worker ${record.pid} could not start: ${message.message}`);
          if (record.replaces !== undefined) {
            this.replacementBroken = true;
            this.reloading = false;
            this.log.log('error', 'replacing workers stopped; the running workers stay until the next SIGHUP');
          }
        }
        break;
    }
  }

  private onReady(record: WorkerRecord): void {
    this.log.log('debug', `worker ${record.pid} listening`);
    const old = record.replaces;
    if (old !== undefined) {
      record.replaces = undefined;
      old.replacedBy = undefined;
      if (this.records.has(old.pid)) this.stopWorker(old, 'graceful');
    }
    if (!this.announced && this.live().filter((r) => r.state === 'ready').length >= this.desired) {
      this.announced = true;
      // The addresses on stdout, for whatever started the command; the start in the log.
      this.stdout.write(record.addresses.map((a) => `wasgi: listening on ${a}\n`).join(''));
      this.log.log('info', `started: listening on ${record.addresses.join(', ')} with ${workers(this.desired)} (primary ${process.pid})`);
    }
    this.maintain();
  }

  private onExit(record: WorkerRecord, code: number | null, signal: string | null): void {
    this.records.delete(record.pid);
    clearTimeout(record.killTimer);
    if (this.stopping !== null || this.exiting) {
      // A failed start says what failed in one line: its workers' exits are not news.
      if (this.stopping !== null) this.log.log('info', `worker ${record.pid} ${exitHow(code, signal)}`);
      if (this.records.size === 0) this.finish();
      return;
    }
    const replacement = record.replacedBy;
    const replaced = record.replaces;
    if (replacement !== undefined) replacement.replaces = undefined;
    if (replaced !== undefined) replaced.replacedBy = undefined;
    if (record.state === 'stopping') {
      this.log.log('info', `worker ${record.pid} ${exitHow(code, signal)}`);
    } else {
      const now = Date.now();
      if (!record.fatal) this.log.log('warning', `worker ${record.pid} ${exitHow(code, signal)}${record.timedOut ? ' after its timeout' : ''}`);
      if (now - this.lastFailure > FAILURE_MEMORY_MS) this.failures = 0;
      this.lastFailure = now;
      if (record.state === 'booting' || now - record.born < FAST_FAILURE_MS) this.failures++;
      else this.failures = 1;
      if (this.failures >= MAX_FAST_FAILURES) {
        this.fail(`workers keep dying: ${this.failures} in a row within ${FAST_FAILURE_MS / 1000} s of starting; giving up`, 1);
        return;
      }
      this.spawnAfter = now + backoff(this.failures);
    }
    this.maintain();
  }

  private stopWorker(record: WorkerRecord, how: 'graceful' | 'quick'): void {
    if (record.state === 'stopping' && how === 'graceful') return;
    record.state = 'stopping';
    try {
      record.worker.kill(how === 'graceful' ? 'SIGTERM' : 'SIGQUIT');
    } catch {
      // already gone
    }
    clearTimeout(record.killTimer);
    const grace = how === 'graceful' ? ms(this.settings.gracefulTimeout) + SETTLE_MS + STOP_MARGIN_MS : QUICK_STOP_MS;
    record.killTimer = setTimeout(() => {
      this.log.log('warning', `worker ${record.pid} did not stop in time: killing it`);
      record.worker.kill('SIGKILL');
    }, grace);
  }

  private checkHeartbeats(timeout: number): void {
    const now = Date.now();
    for (const record of this.records.values()) {
      const limit = record.state === 'booting' ? Math.max(timeout, BOOT_TIMEOUT_MS) : timeout;
      if (record.timedOut || now - record.lastBeat <= limit) continue;
      record.timedOut = true;
      this.log.log('critical', `worker ${record.pid} timed out: no heartbeat for ${((now - record.lastBeat) / 1000).toFixed(1)} s (--timeout ${this.settings.timeout}); killing it`);
      record.worker.kill('SIGKILL');
    }
  }

  private async reload(): Promise<void> {
    if (this.stopping !== null || this.exiting) return;
    if (this.reloadSettings !== null) {
      try {
        const next = await this.reloadSettings(++this.reloads);
        checkLogFiles(next);
        if (JSON.stringify(next.bind) !== JSON.stringify(this.configured.bind)) {
          this.log.log('warning', 'SIGHUP: a change of --bind needs a restart; keeping the current addresses');
        }
        if (next.workers !== this.configured.workers) {
          this.desired = next.workers;
          this.tellMultiprocess();
        }
        this.configured = { workers: next.workers, bind: next.bind };
        this.settings = { ...next, bind: this.settings.bind };
      } catch (error) {
        this.log.log('error', `SIGHUP: configuration not reloaded: ${(error as Error).message}`);
      }
    }
    if (this.stopping !== null || this.exiting) return;
    this.generation++;
    this.replacementBroken = false;
    this.reloading = true;
    this.log.log('info', `SIGHUP: replacing ${workers(this.counted().length)} one by one`);
    this.maintain();
  }

  private resize(by: number): void {
    if (this.stopping !== null || this.exiting) return;
    const desired = Math.max(1, this.desired + by);
    const signal = by > 0 ? 'SIGTTIN' : 'SIGTTOU';
    if (desired === this.desired) {
      this.log.log('info', `${signal}: keeping the last worker`);
      return;
    }
    this.desired = desired;
    this.log.log('info', `${signal}: ${workers(desired)}`);
    this.tellMultiprocess();
    this.maintain();
  }

  /** wsgi.multiprocess follows the number of workers wanted now: every worker is told when it changes. */
  private tellMultiprocess(): void {
    const message: ToWorker = { wasgi: 'multiprocess', value: this.desired > 1 };
    for (const record of this.records.values()) {
      try {
        if (record.worker.connected) record.worker.send(message);
      } catch {
        // gone
      }
    }
  }

  private reopenLogs(): void {
    this.errorLogs.file.reopen();
    for (const record of this.records.values()) {
      try {
        record.worker.kill('SIGUSR1');
      } catch {
        // gone
      }
    }
    this.log.log('info', 'SIGUSR1: log files reopened');
  }

  private stop(how: 'graceful' | 'quick', signal: string): void {
    if (this.stopping === 'quick') return;
    // A second TERM or INT does not wait any more.
    const mode = this.stopping === 'graceful' ? 'quick' : how;
    this.stopping = mode;
    this.stopReason = signal;
    this.stopStarted = Date.now();
    if (this.spawnTimer !== null) clearTimeout(this.spawnTimer);
    this.log.log('info', `${signal}: stopping ${mode === 'graceful' ? `gracefully (--graceful-timeout ${this.settings.gracefulTimeout} s)` : 'at once'}`);
    for (const record of this.records.values()) this.stopWorker(record, mode);
    if (this.records.size === 0) this.finish();
  }

  /** Stops everything at once and exits with `code`, after one line on stderr. */
  private fail(message: string, code: number): void {
    if (this.exiting) return;
    this.exiting = true;
    this.exitCode = code;
    if (this.settings.errorLogfile !== '-') this.log.log('critical', message);
    this.errorLogs.stderr.write(`wasgi: ${message}\n`);
    for (const record of this.records.values()) {
      try {
        record.worker.kill('SIGKILL');
      } catch {
        // gone
      }
    }
    if (this.records.size === 0) this.finish();
  }

  private finish(): void {
    if (this.stopping !== null) {
      this.log.log('info', `stopped (${this.stopReason}): the workers drained and exited in ${((Date.now() - this.stopStarted) / 1000).toFixed(2)} s`);
    }
    if (this.checker !== null) clearInterval(this.checker);
    if (this.spawnTimer !== null) clearTimeout(this.spawnTimer);
    for (const [signal, handler] of this.signals) process.off(signal, handler);
    this.listeners.close();
    this.stdout.close();
    this.errorLogs.close();
    this.resolveDone(this.exitCode);
  }
}

/**
 * Runs the primary until it stops; resolves to the exit code. `reload` re-reads the settings on
 * SIGHUP (the config file anew); null when there is no config file to re-read. The workers run
 * `workerScript`, which is to call runWorker() when isWorkerProcess() holds.
 */
export async function runPrimary(settings: Settings, reload: ((n: number) => Promise<Settings>) | null, workerScript: string): Promise<number> {
  checkLogFiles(settings);
  const listeners = await Listeners.open(settings.bind);
  return new Primary({ ...settings, bind: listeners.binds }, reload, settings, workerScript, listeners).done;
}
