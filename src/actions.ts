// The one reading of the core's action queue. After each run() the core has written actions
// (type, conn, a, b); every host — the HTTP server, the socket API, the in-memory driver of the
// tests, benchmarks and fuzzer — takes them through dispatch() into the methods it implements.

import type { Core } from './core.js';
import * as C from './contract.generated.js';

/** How a request body ended (ACT_BODY_END). */
export type BodyEnd = typeof C.BODY_COMPLETE | typeof C.BODY_CUT_SHORT | typeof C.BODY_REJECTED;

/**
 * What a host does with each action, for its own connection type `T`. A host implements the
 * actions its connections can receive (a raw byte stream gets READABLE, never CALL_APP).
 */
export interface Actions<T> {
  /** The host's connection with the core's id, or undefined when it is gone (its actions are dropped). */
  connection(id: number): T | undefined;
  /** A request head is in the connection's record (read it with RequestRecord). */
  callApp?(conn: T): void;
  /** `length` body bytes at `address` in the core's memory, valid until the next run. */
  body?(conn: T, address: number, length: number): void;
  /** The body ended; `code` is the error code when it was rejected. */
  bodyEnd?(conn: T, how: BodyEnd, code: number): void;
  /** The request was refused with error `code`: answer (Core.errorResponse) and close. */
  error?(conn: T, code: number): void;
  /** Close after pending writes; `idle`: nothing was sent lately nor is unread, so close at once. */
  close?(conn: T, idle: boolean): void;
  /** Read next at `offset` of the window; `resume` once a full window has room again. */
  rearm?(conn: T, offset: number, resume: boolean): void;
  /** A raw connection has `available` unconsumed bytes; `eof` once the peer closed. */
  readable?(conn: T, available: number, eof: boolean): void;
  /** The window went back to the pool: the next read takes one again. */
  release?(conn: T): void;
}

/** Hands the `count` actions of the run that just ended to `actions`, in order. */
export function dispatch<T>(core: Core, count: number, actions: Actions<T>): void {
  for (let i = 0; i < count; i++) {
    const conn = actions.connection(core.actionWord(i, 1));
    if (conn === undefined) continue;
    const a = core.actionWord(i, 2);
    const b = core.actionWord(i, 3);
    switch (core.actionWord(i, 0)) {
      case C.ACT_CALL_APP: actions.callApp?.(conn); break;
      case C.ACT_BODY: actions.body?.(conn, a, b); break;
      case C.ACT_BODY_END: actions.bodyEnd?.(conn, a as BodyEnd, b); break;
      case C.ACT_ERROR: actions.error?.(conn, a); break;
      case C.ACT_CLOSE: actions.close?.(conn, a === 1); break;
      case C.ACT_REARM: actions.rearm?.(conn, a, b === 1); break;
      case C.ACT_READABLE: actions.readable?.(conn, a, b === 1); break;
      case C.ACT_RELEASE: actions.release?.(conn); break;
    }
  }
}
