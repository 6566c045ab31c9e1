// Where the command's log lines go: a file appended to, or '-' for stdout or stderr. A log must
// never take a process down, so nothing here throws or emits: every write is a writeSync on the
// descriptor, whose failure (EPIPE from a reader that went away, ENOSPC from a full disk, EBADF,
// ...) only loses the lines, counted. The first failure is reported once, elsewhere, and so is the
// first write that works again, with how many lines were lost in between.

import { closeSync, openSync, writeSync } from 'node:fs';

export type StdName = 'stdout' | 'stderr';

/** Lines waiting for a pipe whose reader is slow (EAGAIN) are kept up to this many bytes, then dropped. */
export const MAX_WAITING_BYTES = 1 << 20;
/** A buffered log writes what gathered once it reaches this size, else at the end of the loop turn. */
const BUFFER_BYTES = 65536;
/** How soon a write that found the pipe full (EAGAIN) is tried again. */
const RETRY_MS = 10;
/** At close, how long a full pipe may hold the process up before the lines still waiting are lost. */
const CLOSE_WAIT_MS = 500;

let guarded = false;

/**
 * Gives stdout and stderr an 'error' listener, so a write to a closed pipe by anyone (Node's own
 * warnings, an application's process.stdout.write) cannot end the process. Creating the streams
 * also puts a pipe's descriptor in non-blocking mode (libuv does, for every stdio pipe), so a log's
 * writeSync to a pipe whose reader is slow answers EAGAIN instead of stopping the event loop.
 */
export function guardStdio(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

function lineCount(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

function describe(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return typeof code === 'string' && !message.startsWith(code) ? `${code}: ${message}` : String(message);
}

/** A synchronous pause (the close of a log whose pipe is full). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A log destination. Buffered logs gather the lines of one event-loop turn into one write;
 * reopen() starts a new file after a rotation (SIGUSR1).
 */
export class LogFile {
  /** Where this log's failure and recovery are told (another log); set once that one exists. */
  report: (message: string) => void = () => {};
  private fd: number;
  private readonly own: boolean;
  private pending: string[] = [];
  private pendingSize = 0;
  private scheduled = false;
  /** Bytes a full pipe did not take yet, in order; the first may be the rest of a partial write. */
  private waiting: Buffer[] = [];
  private waitingSize = 0;
  private retry: NodeJS.Timeout | null = null;
  /** Lines lost since the last write that worked; failing while this is above 0. */
  private lost = 0;
  private closed = false;
  private readonly label: string;

  /**
   * `name` says which log this is in the reports ("access log"); `std` is the stream '-' means.
   * Opens the file at once (a wrong path throws here, before serving).
   */
  constructor(name: string, readonly target: string, std: StdName, private readonly buffered = false) {
    this.own = target !== '-';
    this.label = this.own ? `${name} ${target}` : `${name} on ${std}`;
    if (this.own) {
      this.fd = openSync(target, 'a');
    } else {
      guardStdio();
      this.fd = std === 'stdout' ? 1 : 2;
    }
  }

  /** Writes (or, buffered, gathers) `text`; never throws. */
  readonly write = (text: string): void => {
    if (this.closed) return;
    if (!this.buffered) {
      this.out(text);
      return;
    }
    this.pending.push(text);
    this.pendingSize += text.length;
    if (this.pendingSize >= BUFFER_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  };

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingSize = 0;
    this.out(text);
  }

  private out(text: string): void {
    const bytes = Buffer.from(text);
    if (this.waiting.length > 0) {
      // Behind lines a full pipe has not taken yet: keep the order.
      if (this.waitingSize + bytes.length > MAX_WAITING_BYTES) {
        this.fail(lineCount(bytes), `the reader is not keeping up (${this.waitingSize} bytes waiting)`);
        return;
      }
      this.waiting.push(bytes);
      this.waitingSize += bytes.length;
      return;
    }
    this.waiting.push(bytes);
    this.waitingSize = bytes.length;
    this.drain();
  }

  /** Writes what is waiting until it is all written, the pipe is full (EAGAIN: later) or a write fails. */
  private drain(): boolean {
    while (this.waiting.length > 0) {
      const bytes = this.waiting[0];
      let written: number;
      try {
        written = writeSync(this.fd, bytes);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.retry ??= setTimeout(() => { this.retry = null; this.drain(); }, RETRY_MS).unref();
          return false;
        }
        let lines = 0;
        for (const chunk of this.waiting) lines += lineCount(chunk);
        this.waiting = [];
        this.waitingSize = 0;
        this.fail(lines, describe(error));
        return true;
      }
      this.waitingSize -= written;
      if (written < bytes.length) this.waiting[0] = bytes.subarray(written);
      else this.waiting.shift();
      this.recovered();
    }
    return true;
  }

  private fail(lines: number, reason: string): void {
    const first = this.lost === 0;
    // A failed write that held no whole line still starts a failure.
    this.lost += Math.max(lines, 1);
    if (first) this.report(`${this.label}: writing failed (${reason}); its lines are lost until it works again`);
  }

  private recovered(): void {
    if (this.lost === 0) return;
    const lost = this.lost;
    this.lost = 0;
    this.report(`${this.label}: writing again; ${lost === 1 ? '1 line was' : `${lost} lines were`} lost`);
  }

  /** Opens the file anew (after logrotate moved it); keeps the old one if that fails. */
  reopen(): void {
    this.flush();
    if (!this.own || this.closed) return;
    try {
      const fd = openSync(this.target, 'a');
      closeSync(this.fd);
      this.fd = fd;
    } catch (error) {
      this.report(`${this.label}: not reopened (${describe(error)}); writing where it was`);
    }
  }

  /** Writes what is left (waiting a moment for a full pipe) and closes the file. */
  close(): void {
    if (this.closed) return;
    this.flush();
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    const until = Date.now() + CLOSE_WAIT_MS;
    while (!this.drain() && Date.now() < until) pause(RETRY_MS);
    if (this.retry !== null) clearTimeout(this.retry);
    this.closed = true;
    if (this.own) {
      try {
        closeSync(this.fd);
      } catch {
        // already unusable
      }
    }
  }
}
