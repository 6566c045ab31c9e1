// A socket whose reads go to its connection's window in the core's memory. Every socket reads into
// the core's landing zone and the read callback copies the bytes at once to the window's free
// tail (taking a window from the pool if the connection has none), then queues a READ event with
// the window's new fill. The landing zone is never re-pointed: Node's handle.useUserBuffer() adds
// a native listener per call that lives as long as the socket, so the buffer is only ever changed
// through the buffer function's answer after each read, which bounds the next read to the room
// left in the window. A full window stops reading until the core re-arms it. A socket whose
// writes are not draining is still read (into its window, no further), so that its FIN or RST
// is seen; its next response waits for the drain.

import * as net from 'node:net';
import type { Coalesced, CoreLoop } from './loop.js';

/** The parts of libuv's stream handle the host drives directly (`socket._handle`). */
export interface StreamHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

export type AcceptedSocket = net.Socket & { _handle: StreamHandle | null };

/** A connection's libuv handle (TCP or pipe), as a listening handle hands it over. */
export type ConnectionHandle = StreamHandle & { close(): void };

/** How long a closed connection keeps reading to see the peer's end. */
export const LINGER_MS = 2000;
/** Pending output up to this size is copied into one buffer before writing. */
const COALESCE_BYTES = 16384;

export class WindowStream implements Coalesced {
  readonly socket: net.Socket;
  /** The connection's window in the core's memory, or -1 while it holds none (the next read takes one). */
  private window = -1;
  private readOffset = 0;
  /** The run whose READ event for this stream is at eventIndex (CoreLoop.queueLatest). */
  eventBatch = -1;
  eventIndex = 0;
  private full = false;
  waitingDrain = false;
  /** The owner holds reading (e.g. a request body nobody is reading yet). */
  private held = false;
  closed = false;
  ending = false;
  /** Bytes sent during this turn, written at uncork: small ones as one buffer. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private drainWaiters: (() => void)[] = [];

  /**
   * Wraps an accepted connection's `handle` or, without one, makes a new unconnected socket whose
   * reads go to the window once connected.
   */
  constructor(protected readonly loop: CoreLoop, readonly id: number, handle?: ConnectionHandle) {
    const core = loop.core;
    const onread = { buffer: () => this.nextBuffer(), callback: (n: number) => this.onRead(n) };
    this.socket = new net.Socket({
      ...(handle ? { handle } : {}),
      allowHalfOpen: true,
      onread,
    } as net.SocketConstructorOpts);
    this.socket.on('end', () => {
      loop.queue(core.EV_EOF, id, 0);
      this.onPeerEnd();
    });
    this.socket.on('error', () => { /* 'close' follows */ });
    this.socket.on('drain', () => this.onDrain());
    this.socket.on('close', () => {
      this.closed = true;
      for (const wake of this.drainWaiters.splice(0)) wake();
      loop.queue(core.EV_CLOSED, id, 0);
      this.onClose();
    });
  }

  /** Called once the socket has closed (its slot is released at the next run). */
  protected onClose(): void {}

  /** Called when the peer has sent FIN (its EOF is queued for the core). */
  protected onPeerEnd(): void {}

  /** Called when queued writes have drained. */
  protected onDrained(): void {}

  private get handle(): StreamHandle | null {
    return (this.socket as AcceptedSocket)._handle;
  }

  /**
   * Where the next read goes: the landing zone, as much of it as the window has room for (room
   * only grows until that read: the core's REARM and RELEASE move data down or empty the window).
   * A full window is not read from; the one byte keeps the buffer valid until it is re-armed.
   */
  private nextBuffer(): Uint8Array {
    const core = this.loop.core;
    const room = this.window < 0 ? core.windowSize : core.windowSize - this.readOffset;
    return room === core.windowSize ? core.landingBuffer : core.landingBuffer.subarray(0, Math.max(room, 1));
  }

  private onRead(n: number): boolean {
    const loop = this.loop;
    const core = loop.core;
    // Move the bytes out of the landing zone before another socket reads there.
    if (this.window < 0) {
      this.window = core.windowAddress(this.id);
      this.readOffset = 0;
    }
    core.bytes.copyWithin(this.window + this.readOffset, core.landing, core.landing + n);
    this.readOffset += n;
    // Reads coalesce: the event carries the window's new fill.
    loop.queueLatest(this, loop.core.EV_READ, this.id, this.readOffset);
    if (this.readOffset >= loop.core.windowSize) {
      this.full = true;
      return false;
    }
    return true;
  }

  /** The core moved the read position (REARM): the next read goes there; resume if it was full. */
  rearm(offset: number, resume: boolean): void {
    if (this.closed) return;
    this.readOffset = offset;
    if (resume) this.full = false;
    this.updateReading();
  }

  /** The window went back to the pool (RELEASE): the next read takes one again. */
  release(): void {
    this.window = -1;
    this.rearm(0, true);
  }

  protected updateReading(): void {
    const handle = this.handle;
    if (this.closed || handle === null || this.socket.connecting) return;
    // Reading goes on while writes wait to drain (bounded by the window), so a FIN or RST is seen.
    const want = !this.full && !this.held;
    if (want && !handle.reading) {
      handle.reading = true;
      handle.readStart();
    } else if (!want && handle.reading) {
      handle.reading = false;
      handle.readStop();
    }
  }

  hold(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    this.updateReading();
  }

  private onDrain(): void {
    this.waitingDrain = false;
    for (const wake of this.drainWaiters.splice(0)) wake();
    this.onDrained();
    this.updateReading();
  }

  /** Queues bytes (until the loop uncorks); false when the writer should wait for drained(). */
  send(bytes: Uint8Array): boolean {
    if (this.closed || this.ending) return true;
    if (this.pending.length === 0) this.loop.uncorkLater(this);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    // As socket.write() would answer once these bytes are written.
    const ok = this.socket.writableLength + this.pendingBytes < this.socket.writableHighWaterMark;
    if (!ok && !this.waitingDrain) {
      // A peer that does not read what it is sent gets no further response until this drains.
      this.waitingDrain = true;
      this.updateReading();
    }
    return ok;
  }

  /**
   * Writes what this turn sent. Many small pieces (pipelined responses, a head and its body)
   * leave as one buffer: one copy is cheaper than a stream write and an iovec per piece.
   */
  uncork(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    const total = this.pendingBytes;
    this.pendingBytes = 0;
    if (this.closed) return;
    let ok = true;
    if (pending.length === 1 || total > COALESCE_BYTES) {
      this.socket.cork();
      for (const bytes of pending) ok = this.socket.write(bytes);
      this.socket.uncork();
    } else {
      ok = this.socket.write(Buffer.concat(pending, total));
    }
    if (!ok && !this.waitingDrain) {
      this.waitingDrain = true;
      this.updateReading();
    } else if (ok && this.waitingDrain) {
      // send() foresaw a full buffer that drained meanwhile: no 'drain' event will come.
      this.onDrain();
    }
  }

  drained(): Promise<void> {
    if (!this.waitingDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Ends the write side after pending writes; lingers reading so the peer sees the last bytes. */
  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    this.uncork();
    this.socket.end();
    if (this.socket.readableEnded) this.destroy();
    else {
      this.socket.once('end', () => this.destroy());
      setTimeout(() => this.destroy(), LINGER_MS).unref();
    }
  }

  destroy(): void {
    if (!this.closed) this.socket.destroy();
  }
}
