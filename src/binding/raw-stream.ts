// The byte streams of wasgi/socket: connections in the core's RAW mode, all on one shared core
// loop made on first use. Reads land in the connection's window; the core reports READABLE
// (bytes waiting, or the peer's end) and the owner is woken to take them.

import { CoreLoop } from './loop.js';
import { LINGER_MS, WindowStream, type AcceptedSocket, type ConnectionHandle } from './stream.js';

let shared: CoreLoop<RawStream> | null = null;
const streams: (RawStream | undefined)[] = [];

function coreLoop(): CoreLoop<RawStream> {
  shared ??= new CoreLoop<RawStream>({ maxConnections: 4096 }, {
    connection: (id) => {
      const stream = streams[id];
      return stream === undefined || stream.closed ? undefined : stream;
    },
    readable(stream, _available, eof) {
      if (eof) stream.eof = true;
      // A closed socket lingers to see the peer's end: what still arrives is dropped.
      if (stream.orphaned) stream.take(stream.available());
      else stream.wake();
    },
    rearm: (stream, offset, resume) => stream.rearm(offset, resume),
    afterActions() {},
  });
  return shared;
}

/** A connection's byte stream: reads land in its window; the owning Socket is woken on changes. */
export class RawStream extends WindowStream {
  /** The core reported the peer's end. */
  eof = false;
  /** The Socket was closed; the stream only finishes sending and lingers. */
  orphaned = false;
  error: NodeJS.ErrnoException | null = null;

  constructor(loop: CoreLoop, id: number, readonly wake: () => void, private readonly accepted?: AcceptedSocket) {
    super(loop, id, (accepted?._handle ?? undefined) as ConnectionHandle | undefined);
    this.socket.on('error', (error: NodeJS.ErrnoException) => { this.error ??= error; });
  }

  protected override onClose(): void {
    if (this.accepted) {
      // Hand the net.Server's bookkeeping back to the socket it accepted (this one wrapped its handle).
      this.accepted._handle = null;
      this.accepted.destroy();
    }
    if (streams[this.id] === this) streams[this.id] = undefined;
    this.wake();
  }

  protected override onDrained(): void {
    this.wake();
  }

  protected override updateReading(): void {
    // After the peer's end there is nothing more to read; restarting would only see EOF again.
    if (!this.socket.readableEnded) super.updateReading();
  }

  /**
   * Applies reads the core has not seen yet: consuming may move the window's read offset, which
   * must not happen under a read that is still queued. (Never called inside a flush: the loop's
   * actions only wake sockets, they never call back into them.)
   */
  sync(): void {
    if (this.loop.core.eventCount > 0) this.loop.flush();
  }

  /** Unconsumed bytes in the window, as of the last run. */
  available(): number {
    return this.loop.core.rawAvailable(this.id);
  }

  /** Copies out and consumes up to n bytes of the window (after sync(), or inside a flush). */
  take(n: number): Buffer {
    const { bytes, rearmAt } = this.loop.core.takeRaw(this.id, n);
    if (rearmAt >= 0) this.rearm(rearmAt, true);
    return bytes;
  }

  /** Closes like close(2): queued output still goes, then FIN; the peer's end is awaited a while. */
  shut(): void {
    this.orphaned = true;
    if (this.closed) return;
    const socket = this.socket;
    if (socket.connecting || socket.destroyed) {
      this.destroy();
      return;
    }
    // A closed descriptor does not keep a Python process alive; neither does this.
    socket.unref();
    socket.end(() => setTimeout(() => this.destroy(), LINGER_MS).unref());
    this.sync();
    if (!this.closed) this.take(this.available());
  }
}

/** A new raw stream (over an accepted socket, or to connect), or null when every connection slot is taken. */
export function openStream(wake: () => void, accepted?: AcceptedSocket): RawStream | null {
  const loop = coreLoop();
  const id = loop.core.openConnection();
  if (id < 0) return null;
  loop.core.setRaw(id);
  const stream = new RawStream(loop, id, wake, accepted);
  streams[id] = stream;
  stream.socket.resume();
  return stream;
}
