// wsgi.input: the request body as Promises. The host pushes decoded body bytes as they arrive;
// reads wait until enough has come, the body ended, or it failed. A read past the end is empty.

import type { InputStream } from './types.js';

const EMPTY = new Uint8Array(0);

/** Why a body could not be read; `code` is the core's error code for the answer to send. */
export class RequestBodyError extends Error {
  constructor(message: string, readonly code: number, readonly status: number) {
    super(message);
    this.name = 'RequestBodyError';
  }
}

export class Input implements InputStream {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private error: Error | null = null;
  private waiters: (() => void)[] = [];
  /** Called before the first read (sends 100 Continue when the client waits for it). */
  onFirstRead: (() => void) | null = null;
  /** Called with true when more than highWaterMark bytes wait unread, false once below again. */
  onPressure: ((over: boolean) => void) | null = null;
  private over = false;

  constructor(private readonly highWaterMark = 1 << 20) {}

  private pressure(): void {
    // A waiting reader (read() of the whole body, say) needs the bytes to keep coming.
    const over = this.buffered > this.highWaterMark && !this.ended && this.waiters.length === 0;
    if (over !== this.over) {
      this.over = over;
      this.onPressure?.(over);
    }
  }

  get complete(): boolean {
    return this.ended;
  }

  push(bytes: Buffer): void {
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    this.pressure();
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.pressure();
    this.notify();
  }

  /** Reads that cannot be satisfied from what came reject with `error`; a whole body stays readable. */
  fail(error: Error): void {
    if (this.ended || this.error !== null) return;
    this.error = error;
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits until `enough()` holds, the body ended or failed. */
  private async fill(enough: () => boolean): Promise<void> {
    if (this.onFirstRead) {
      const first = this.onFirstRead;
      this.onFirstRead = null;
      first();
    }
    while (!enough() && !this.ended && !this.error) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        this.pressure();
      });
    }
    if (this.error && !enough()) throw this.error;
  }

  private take(n: number): Uint8Array {
    const taken = this.takeBytes(n);
    this.pressure();
    return taken;
  }

  private takeBytes(n: number): Uint8Array {
    if (n <= 0) return EMPTY;
    const first = this.chunks[0];
    if (first.length === n) {
      this.chunks.shift();
      this.buffered -= n;
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }

  async read(size?: number): Promise<Uint8Array> {
    if (size === undefined || size === null || size < 0) {
      await this.fill(() => false);
      return this.take(this.buffered);
    }
    await this.fill(() => this.buffered >= size);
    return this.take(Math.min(size, this.buffered));
  }

  /** Bytes up to and including the first LF in the buffer, or -1. */
  private lineLength(): number {
    let seen = 0;
    for (const c of this.chunks) {
      const i = c.indexOf(10);
      if (i >= 0) return seen + i + 1;
      seen += c.length;
    }
    return -1;
  }

  async readline(size?: number): Promise<Uint8Array> {
    const limit = size === undefined || size === null || size < 0 ? Infinity : size;
    await this.fill(() => this.lineLength() >= 0 || this.buffered >= limit);
    const line = this.lineLength();
    return this.take(Math.min(line >= 0 ? line : this.buffered, limit));
  }

  async readlines(hint?: number): Promise<Uint8Array[]> {
    const lines: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return lines;
      lines.push(line);
      total += line.length;
      if (hint !== undefined && hint > 0 && total >= hint) return lines;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }
}
