// The two queues in shared memory. The host writes events (3 words: type, conn, arg) and calls
// run(count); the core answers with actions (4 words: type, conn, a, b) that the host takes in
// order. Nothing crosses the boundary byte by byte.

import * as L from "./layout";

// Events: host -> core.
export const EV_READ = 1;    // arg: the window's new fill (absolute, so reads coalesce)
export const EV_EOF = 2;     // the peer closed its side
export const EV_DONE = 3;    // the response is complete; arg 1: the connection must close
export const EV_CLOSED = 4;  // the socket is gone; the slot may be reused
export const EV_TICK = 5;    // expire deadlines (conn is ignored)
export const EV_DRAIN = 6;   // graceful shutdown: close idle connections, the rest after their response
export const EV_ADMIT = 7;   // arg: newcomers waiting for a slot: close as many of the longest-idle connections

// Actions: core -> host.
export const ACT_CALL_APP = 1;  // a request head is in the record
export const ACT_BODY = 2;      // a: body bytes' address, b: length
export const ACT_BODY_END = 3;  // a: how the body ended (BODY_*); b: the error code when rejected
export const ACT_ERROR = 4;     // a: error code; answer with serializeError and close
export const ACT_CLOSE = 5;     // close the connection after pending writes; a: 1 when it is idle (nothing to linger for: close at once)
export const ACT_REARM = 6;     // a: the window offset to read into next; b: 1 to resume reading
export const ACT_READABLE = 7;  // RAW: a: unconsumed bytes in the window, b: 1 once the peer closed
export const ACT_RELEASE = 8;   // the window went back to the pool: the next read lands in the landing zone

// How a body ended: ACT_BODY_END's a.
export const BODY_COMPLETE = 0;  // every byte arrived
export const BODY_CUT_SHORT = 1; // the peer closed before its end
export const BODY_REJECTED = 2;  // malformed or too large (b: the error code)

export let actionCount = 0;

export function emit(type: i32, conn: i32, a: i32, b: i32): void {
  const p = L.actionsBase + (<usize>(actionCount * L.ACTION_WORDS) << 2);
  store<i32>(p, type);
  store<i32>(p, conn, 4);
  store<i32>(p, a, 8);
  store<i32>(p, b, 12);
  actionCount++;
}

export function resetActions(): void {
  actionCount = 0;
}
