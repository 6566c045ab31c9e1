// One connection of a core fed from memory instead of a socket: sans-IO, for the parser's tests,
// its benchmark and the fuzzer. Each piece fed is one read: it is copied into the window's free
// tail (at most the room left, as the Node binding's reads are) and followed by a READ event;
// REARM and RELEASE move the read position as they move a socket's (src/binding/stream.ts).

import type { Core } from './core.js';
import { dispatch, type Actions, type BodyEnd } from './actions.js';
import { EV_CLOSED, EV_DONE, EV_EOF, EV_READ } from './contract.generated.js';

/** What the connection's owner does with the request actions (CALL_APP, BODY, ...). */
export type RequestActions = Omit<Actions<MemoryConnection>, 'connection' | 'rearm' | 'release' | 'readable'>;

export class MemoryConnection implements Actions<MemoryConnection> {
  readonly id: number;
  /** The core answered ERROR or CLOSE: nothing more is fed. */
  ended = false;
  private window: number;
  private readOffset = 0;
  private full = false;

  // The actions are this class's own methods, shared by every instance, so that dispatch() meets
  // one function per action however many connections a process drives.
  constructor(readonly core: Core, private readonly requests: RequestActions) {
    this.id = core.openConnection();
    this.window = core.windowAddress(this.id);
  }

  connection(id: number): MemoryConnection | undefined {
    return id === this.id ? this : undefined;
  }

  callApp(conn: MemoryConnection): void {
    this.requests.callApp?.(conn);
  }

  body(conn: MemoryConnection, address: number, length: number): void {
    this.requests.body?.(conn, address, length);
  }

  bodyEnd(conn: MemoryConnection, how: BodyEnd, code: number): void {
    this.requests.bodyEnd?.(conn, how, code);
  }

  error(conn: MemoryConnection, code: number): void {
    this.ended = true;
    this.requests.error?.(conn, code);
  }

  close(conn: MemoryConnection, idle: boolean): void {
    this.ended = true;
    this.requests.close?.(conn, idle);
  }

  rearm(_: MemoryConnection, offset: number, resume: boolean): void {
    this.readOffset = offset;
    if (resume) this.full = false;
  }

  release(): void {
    // Every byte was parsed and the window went back to the pool: take one again.
    this.readOffset = 0;
    this.full = false;
    this.window = this.core.windowAddress(this.id);
  }

  /** Reads `bytes` in as many reads as the window's room takes, running the core after each. */
  feed(bytes: Uint8Array): void {
    const core = this.core;
    let at = 0;
    while (at < bytes.length && !this.ended) {
      if (this.full) throw new Error('wasgi: the core left a full window paused');
      const n = Math.min(bytes.length - at, core.windowSize - this.readOffset);
      // A whole piece is copied as it is: no view made for it.
      core.bytes.set(n === bytes.length ? bytes : bytes.subarray(at, at + n), this.window + this.readOffset);
      at += n;
      this.readOffset += n;
      if (this.readOffset === core.windowSize) this.full = true;
      core.push(EV_READ, this.id, this.readOffset);
      this.run();
    }
  }

  /** The response is complete (from an action handler, or followed by run()). */
  done(mustClose: boolean): void {
    this.core.push(EV_DONE, this.id, mustClose ? 1 : 0);
  }

  /** The peer closed its side. */
  eof(): void {
    this.core.push(EV_EOF, this.id, 0);
    this.run();
  }

  /** The connection is gone (as a socket's close): its slot is free for the next. */
  disconnect(): void {
    this.core.push(EV_CLOSED, this.id, 0);
    this.run();
  }

  /** Runs the core until no event is left (handlers may queue more), one clock reading per call. */
  run(now = performance.now()): void {
    const core = this.core;
    while (core.eventCount > 0) dispatch(core, core.run(now), this);
  }
}
