// Processes. A primary keeps --workers worker processes serving the application through
// node:cluster (the primary accepts and hands connections round-robin to the workers), restarts
// one that dies (backing off when they keep dying, giving up after too many fast failures),
// replaces one after --max-requests, kills one whose event loop stops its heartbeat for
// --timeout, and answers signals as gunicorn does:
//
//   TERM, INT  stop gracefully (--graceful-timeout)   QUIT  stop at once
//   HUP        replace the workers one by one          USR1  reopen the log files
//   TTIN/TTOU  one worker more / less
//
// A replacement is always started, and listening, before the worker it replaces is stopped, so a
// reload refuses no connection. This file is also the workers' entry point.

import cluster, { type Worker } from 'node:cluster';
import { closeSync, fstatSync, lstatSync, openSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { ErrorLog } from '../src/errors.js';
import type { Application } from '../src/types.js';
import { AccessLog, type AccessRecord } from './accesslog.js';
import { CliError, usageError } from './cli-error.js';
import { describeBind, type Bind, type Settings } from './config.js';
import { loadApplication } from './modules.js';
import { ms, serverOptionsOf } from './settings.js';
import { watchHandovers, type LostHandovers } from './handovers.js';
import { LogFile } from './logfile.js';
import { makeServer, type Server, type ServerOptions } from './node.js';

const PLAN_ENV = 'WASGI_WORKER_PLAN';

/** What a worker is told: the settings, with every bind resolved (port 0 already chosen). */
interface WorkerPlan {
  settings: Settings;
  multiprocess: boolean;
}

type ToWorker = { wasgi: 'multiprocess'; value: boolean };

type FromWorker =
  | { wasgi: 'beat' }
  | { wasgi: 'listening'; addresses: string[] }
  | { wasgi: 'retire'; served: number }
  | { wasgi: 'fatal'; message: string; code: 1 | 2 };

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
/**
 * A worker told to stop gracefully first stops accepting and waits this long (at most its graceful
 * time) for the connections it has just been handed to send their first request, which it then
 * answers: the server's drain closes connections that are idle, and a connection accepted a moment
 * ago is idle only because its request is still on its way.
 */
const SETTLE_MS = 300;
/** How long a worker out of file descriptors waits before a lost handover is tried again. */
const HANDOVER_RETRY_MS = 250;

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

/** Opens (creating) the log files once, so that a wrong path is a usage error before anything starts. */
export function checkLogFiles(s: Settings): void {
  for (const [flag, file] of [['--error-logfile', s.errorLogfile], ['--access-logfile', s.accessLogfile]] as const) {
    if (file === null || file === '-') continue;
    try {
      closeSync(openSync(file, 'a'));
    } catch (error) {
      throw usageError(`${flag}: cannot open ${file}: ${(error as Error).message}`);
    }
  }
}

/** A process's error log, and stderr (the same log when the error log is '-'). */
interface ErrorLogs {
  file: LogFile;
  stderr: LogFile;
  log: ErrorLog;
  close(): void;
}

/**
 * Opens the error log of the primary or a worker (`who` prefixes its messages elsewhere). When it
 * is a file, stderr is told when writing to it fails and when it works again, and the other way
 * round.
 */
function openErrorLog(s: Settings, who: string): ErrorLogs {
  const file = new LogFile('error log', s.errorLogfile, 'stderr');
  const log = new ErrorLog(file.write, s.logLevel);
  const stderr = s.errorLogfile === '-' ? file : new LogFile('messages', '-', 'stderr');
  if (stderr !== file) {
    file.report = (message) => stderr.write(`wasgi: ${who}${message}\n`);
    stderr.report = (message) => log.log('error', who + message);
  }
  return {
    file,
    stderr,
    log,
    close: () => {
      file.close();
      stderr.close();
    },
  };
}

/** Chooses the port of each port-0 bind, removes stale Unix sockets, checks inherited descriptors. */
async function resolveBinds(binds: Bind[]): Promise<Bind[]> {
  const resolved: Bind[] = [];
  for (const bind of binds) {
    if (bind.kind === 'tcp' && bind.port === 0) {
      const probe = net.createServer();
      const port = await new Promise<number>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen({ host: bind.host, port: 0, exclusive: true }, () => resolve((probe.address() as net.AddressInfo).port));
      }).catch((error: Error) => {
        throw new CliError(`cannot listen on ${describeBind(bind).slice(7)}: ${error.message}`);
      });
      await new Promise((resolve) => probe.close(resolve));
      resolved.push({ ...bind, port });
    } else if (bind.kind === 'unix') {
      await removeStaleSocket(bind.path);
      resolved.push(bind);
    } else if (bind.kind === 'fd') {
      let socket = false;
      try {
        socket = fstatSync(bind.fd).isSocket();
      } catch {
        // not open
      }
      if (!socket) throw usageError(`--bind fd://${bind.fd}: file descriptor ${bind.fd} is not an open socket`);
      resolved.push(bind);
    } else {
      resolved.push(bind);
    }
  }
  return resolved;
}

/** A socket file nobody listens on is left over from a crash: remove it (as gunicorn does). */
async function removeStaleSocket(file: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(file);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new CliError(`cannot listen on unix:${file}: the file exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(file, () => { probe.destroy(); resolve(true); });
    probe.on('error', () => resolve(false));
  });
  if (live) throw new CliError(`address already in use: unix:${file}`);
  unlinkSync(file);
}

// The primary.

interface WorkerRecord {
  worker: Worker;
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
    cluster.setupPrimary({ exec: fileURLToPath(import.meta.url), args: [], silent: false });
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
    const plan: WorkerPlan = { settings: this.settings, multiprocess: this.desired > 1 };
    const worker = cluster.fork({ [PLAN_ENV]: JSON.stringify(plan) });
    const now = Date.now();
    const record: WorkerRecord = {
      worker, pid: worker.process.pid ?? 0, state: 'booting', born: now, lastBeat: now,
      generation: this.generation, addresses: [], retire: false, fatal: false, timedOut: false,
    };
    if (replaces !== undefined) {
      record.replaces = replaces;
      replaces.replacedBy = record;
    }
    this.records.set(worker.id, record);
    watchHandovers(worker, () => this.othersListening(record), (lost) => this.onLostHandovers(record, lost));
    worker.on('message', (message: FromWorker) => this.onMessage(record, message));
    worker.on('exit', (code, signal) => this.onExit(record, code, signal));
    worker.on('error', () => { /* the IPC channel of a worker that is gone; 'exit' follows */ });
    this.log.log('debug', `worker ${record.pid} booting${replaces ? ` to replace worker ${replaces.pid}` : ''}`);
  }

  /** Whether a worker other than `record` listens (and so can take the connections it leaves). */
  private othersListening(record: WorkerRecord): boolean {
    return this.live().some((r) => r !== record && r.state === 'ready' && r.worker.isConnected());
  }

  private onLostHandovers(record: WorkerRecord, lost: LostHandovers): void {
    const count = lost.handedOver + lost.closed;
    const fate = [lost.handedOver > 0 ? `${lost.handedOver} handed to another worker` : '', lost.closed > 0 ? `${lost.closed} closed` : ''];
    this.log.log('info', `worker ${record.pid} died before taking ${count === 1 ? 'a connection' : `${count} connections`} handed to it: ${fate.filter((f) => f !== '').join(', ')}`);
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
      if (this.records.has(old.worker.id)) this.stopWorker(old, 'graceful');
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
    this.records.delete(record.worker.id);
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
      record.worker.process.kill(how === 'graceful' ? 'SIGTERM' : 'SIGQUIT');
    } catch {
      // already gone
    }
    clearTimeout(record.killTimer);
    const grace = how === 'graceful' ? ms(this.settings.gracefulTimeout) + SETTLE_MS + STOP_MARGIN_MS : QUICK_STOP_MS;
    record.killTimer = setTimeout(() => {
      this.log.log('warning', `worker ${record.pid} did not stop in time: killing it`);
      record.worker.process.kill('SIGKILL');
    }, grace);
  }

  private checkHeartbeats(timeout: number): void {
    const now = Date.now();
    for (const record of this.records.values()) {
      const limit = record.state === 'booting' ? Math.max(timeout, BOOT_TIMEOUT_MS) : timeout;
      if (record.timedOut || now - record.lastBeat <= limit) continue;
      record.timedOut = true;
      this.log.log('critical', `worker ${record.pid} timed out: no heartbeat for ${((now - record.lastBeat) / 1000).toFixed(1)} s (--timeout ${this.settings.timeout}); killing it`);
      record.worker.process.kill('SIGKILL');
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
        if (record.worker.isConnected()) record.worker.send(message);
      } catch {
        // gone
      }
    }
  }

  private reopenLogs(): void {
    this.errorLogs.file.reopen();
    for (const record of this.records.values()) {
      try {
        record.worker.process.kill('SIGUSR1');
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
        record.worker.process.kill('SIGKILL');
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
    this.stdout.close();
    this.errorLogs.close();
    this.resolveDone(this.exitCode);
  }
}

/**
 * Runs the primary until it stops; resolves to the exit code. `reload` re-reads the settings on
 * SIGHUP (the config file anew); null when there is no config file to re-read.
 */
export async function runPrimary(settings: Settings, reload: ((n: number) => Promise<Settings>) | null): Promise<number> {
  checkLogFiles(settings);
  const binds = await resolveBinds(settings.bind);
  return new Primary({ ...settings, bind: binds }, reload, settings).done;
}

// The worker.

/** The listening error of `bind`, in one line. */
function listenError(bind: Bind, error: unknown): CliError {
  const { code, message } = error as NodeJS.ErrnoException;
  const where = bind.kind === 'tcp' ? describeBind(bind).slice(7) : describeBind(bind);
  if (code === 'EADDRINUSE') return new CliError(`address already in use: ${where}`);
  return new CliError(`cannot listen on ${where}: ${message}`);
}

function send(message: FromWorker, then?: () => void): void {
  if (process.connected && process.send !== undefined) process.send(message, undefined, {}, () => then?.());
  else then?.();
}

async function runWorker(): Promise<void> {
  const plan = JSON.parse(process.env[PLAN_ENV] as string) as WorkerPlan;
  delete process.env[PLAN_ENV];
  const s = plan.settings;
  const timeout = s.timeout > 0 ? ms(s.timeout) : 0;
  if (timeout > 0) {
    send({ wasgi: 'beat' });
    setInterval(() => send({ wasgi: 'beat' }), Math.min(1000, Math.max(50, Math.floor(timeout / 4))));
  }

  const errorLogs = openErrorLog(s, `worker ${process.pid}: `);
  const log = errorLogs.log;
  retryLostHandovers(log);
  const access = s.accessLogfile !== null
    ? new AccessLog(s.accessLogfile, s.accessLogformat, (message) => log.log('error', `worker ${process.pid}: ${message}`))
    : null;
  const servers: Server[] = [];
  let stopping = false;

  const exit = (code: number): never => {
    access?.file.close();
    errorLogs.close();
    process.exit(code);
  };
  const fatal = (error: unknown): void => {
    const message = error instanceof CliError ? error.message : error instanceof Error ? String(error.stack) : String(error);
    const code = error instanceof CliError ? error.exitCode : 1;
    send({ wasgi: 'fatal', message, code }, () => exit(code));
  };
  const stop = async (graceful: number): Promise<void> => {
    if (stopping) {
      // Already stopping: QUIT cuts it short.
      if (graceful === 0) await Promise.all(servers.map((server) => server.shutdown()));
      return;
    }
    stopping = true;
    // Connections the primary is handing over right now must land before the drain: stop
    // accepting first (handovers to a closed listener go to another worker), then settle.
    if (graceful > 0) {
      for (const server of servers) server.stopAccepting();
      await new Promise((resolve) => setTimeout(resolve, Math.min(graceful, SETTLE_MS)));
    }
    await Promise.all(servers.map((server) => server.shutdown({ graceful })));
    exit(0);
  };

  process.on('SIGTERM', () => void stop(ms(s.gracefulTimeout)));
  process.on('SIGQUIT', () => void stop(0));
  process.on('SIGUSR1', () => {
    errorLogs.file.reopen();
    access?.file.reopen();
  });
  process.on('message', (message: ToWorker) => {
    if (message?.wasgi === 'multiprocess') for (const server of servers) server.setMultiprocess(message.value === true);
  });
  // Meant for the primary (a terminal sends them to the whole process group).
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGTTIN', 'SIGTTOU', 'SIGWINCH'] as const) process.on(signal, () => {});
  // A promise the application left to fail on its own harms no request of ours: log it, go on.
  process.on('unhandledRejection', (reason) => {
    log.error(`worker ${process.pid}: a promise was rejected and nothing handled it (in the application); the worker goes on`, reason);
  });
  process.on('uncaughtException', (error) => {
    log.error(`worker ${process.pid}: uncaught exception; the worker exits`, error);
    exit(1);
  });

  let app: Application;
  try {
    app = await loadApplication(s.app as string);
  } catch (error) {
    fatal(error);
    return;
  }

  const limit = s.maxRequests > 0 ? s.maxRequests + Math.floor(Math.random() * (s.maxRequestsJitter + 1)) : 0;
  let served = 0;
  const accessLog = access !== null || limit > 0
    ? (record: AccessRecord): void => {
      access?.write(record);
      // Requests the server refused itself do not count toward --max-requests.
      if (!record.rejected && ++served === limit) send({ wasgi: 'retire', served });
    }
    : undefined;
  const options: ServerOptions = {
    ...serverOptionsOf(s),
    // The worker writes its logs itself (the access log also counts --max-requests).
    accessLogfile: null,
    errorLog: errorLogs.file.write,
    multiprocess: plan.multiprocess,
    accessLog,
  };
  const addresses: string[] = [];
  for (const bind of s.bind) {
    try {
      let server: Server;
      if (bind.kind === 'tcp') server = await makeServer(bind.host, bind.port, app, options);
      else if (bind.kind === 'unix') server = await makeServer(bind.path, 80, app, { ...options, listen: { path: bind.path } });
      else server = await makeServer('', 0, app, { ...options, listen: { fd: bind.fd } });
      servers.push(server);
      const [host, port] = server.serverAddress;
      addresses.push(bind.kind === 'unix' || (bind.kind === 'fd' && host === '') ? describeBind(bind) : describeBind({ kind: 'tcp', host, port }));
    } catch (error) {
      fatal(listenError(bind, error));
      return;
    }
  }
  if (stopping) {
    // A stop came while starting: the servers that exist stop too.
    await Promise.all(servers.map((server) => server.shutdown()));
    exit(0);
  }
  send({ wasgi: 'listening', addresses });
}

/**
 * A connection the primary hands over while this worker is out of file descriptors does not
 * arrive: the kernel drops the descriptor (MSG_CTRUNC) and Node tells the primary NODE_HANDLE_NACK,
 * but in Node 20 nothing answers the round-robin 'newconn' message, so the primary never hands this
 * worker another connection and keeps every later one until it runs out of descriptors itself.
 * Answer it here, "not accepted", after a pause: the primary still holds the connection and hands
 * it over again (to another worker, or to this one once descriptors are free). One line when it
 * starts, one when it ends.
 */
function retryLostHandovers(log: ErrorLog): void {
  let lost = 0;
  let since = 0;
  process.on('internalMessage', (message: unknown, handle: unknown) => {
    const seq = handoverSeq(message);
    if (seq === null) return;
    if (handle !== null && handle !== undefined) {
      if (lost > 0) log.log('info', `worker ${process.pid} has file descriptors again: accepting connections (${lost} handovers retried over ${((Date.now() - since) / 1000).toFixed(1)} s)`);
      lost = 0;
      return;
    }
    if (lost++ === 0) {
      since = Date.now();
      log.log('error', `worker ${process.pid} is out of file descriptors (see ulimit -n): a connection it was handed did not arrive; the primary keeps it and hands it over again every ${HANDOVER_RETRY_MS} ms`);
    }
    setTimeout(() => {
      if (process.connected && process.send !== undefined) process.send({ cmd: 'NODE_CLUSTER', ack: seq, accepted: false });
    }, HANDOVER_RETRY_MS);
  });
}

/** The sequence number of a round-robin handover (node:cluster's internal 'newconn'), else null. */
function handoverSeq(message: unknown): number | null {
  if (typeof message !== 'object' || message === null) return null;
  const { cmd, msg } = message as { cmd?: unknown; msg?: { cmd?: unknown; act?: unknown; seq?: unknown } | null };
  if (cmd !== 'NODE_HANDLE' || typeof msg !== 'object' || msg === null) return null;
  return msg.cmd === 'NODE_CLUSTER' && msg.act === 'newconn' && typeof msg.seq === 'number' ? msg.seq : null;
}

if (cluster.isWorker && process.env[PLAN_ENV] !== undefined) {
  runWorker().catch((error: unknown) => {
    // Anything that went wrong outside the guarded steps: still one line for the primary.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    send({ wasgi: 'fatal', message, code: 1 }, () => process.exit(1));
  });
}
