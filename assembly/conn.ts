// Per-connection state: where the parser stands in the window, and what the request asked for.
// Positions are byte offsets into the connection's window.

import { connTable, CONN_SIZE } from "./layout";

// States of a connection (the request's life, h11 style).
export const FREE = 0;     // the slot is unused
export const HEAD = 1;     // reading a request head
export const BODY = 2;     // application called; body bytes still arriving
export const WAIT = 3;     // application called; body complete, awaiting DONE
export const DRAIN = 4;    // response done; discarding the rest of an unread body
export const CLOSING = 5;  // closing: input is discarded
export const RAW = 6;      // a plain byte stream (wasgi/socket): no HTTP, the host consumes bytes

// The transition table. Each state's behaviour is one function in loop.ts; every change of state
// goes through transition() below, which checks it against NEXT. The events (and the actions the
// core emits on them) that take a connection from one state to the next:
//
//   from     event                                        to        actions
//   FREE     openConnection                               HEAD
//   HEAD     a whole head that announces a body           BODY      CALL_APP
//            a whole head without one                     WAIT      CALL_APP
//            a bad head; the header deadline              CLOSING   ERROR
//            EOF before a head; idle deadline; shutdown   CLOSING   CLOSE
//            ADMIT, idle longest while newcomers wait     CLOSING   CLOSE
//            setRaw (a freshly opened connection)         RAW
//   BODY     the body is complete                         WAIT      [BODY] BODY_END 0
//            EOF inside the body (closes after DONE)      WAIT      [BODY] BODY_END 1
//            a bad body; the body deadline                CLOSING   [BODY] BODY_END 2, ERROR
//            DONE, keep-alive: the rest is discarded      DRAIN
//            DONE, closing                                CLOSING   CLOSE
//   WAIT     DONE, keep-alive                             HEAD
//            DONE, closing                                CLOSING   CLOSE
//   DRAIN    the rest of the body is discarded            HEAD
//            a bad body                                   CLOSING   ERROR
//            EOF; the body deadline                       CLOSING   CLOSE
//   CLOSING  DONE; a deadline armed before closing        CLOSING   CLOSE
//   RAW      bytes or EOF (no change of state)            RAW       READABLE
//   any      CLOSED                                       FREE
//
// Events a state has no row for leave it as it is (DONE while reading a head, say). NEXT holds,
// for each state, one bit per state that may follow it.
const NEXT_FREE = 1 << HEAD;
const NEXT_HEAD = 1 << BODY | 1 << WAIT | 1 << CLOSING | 1 << RAW | 1 << FREE;
const NEXT_BODY = 1 << WAIT | 1 << DRAIN | 1 << CLOSING | 1 << FREE;
const NEXT_WAIT = 1 << HEAD | 1 << CLOSING | 1 << FREE;
const NEXT_DRAIN = 1 << HEAD | 1 << CLOSING | 1 << FREE;
const NEXT_CLOSING = 1 << CLOSING | 1 << FREE;
const NEXT_RAW = 1 << FREE;
/** Indexed by state: FREE, HEAD, BODY, WAIT, DRAIN, CLOSING, RAW. */
const NEXT = memory.data<u8>([<u8>NEXT_FREE, <u8>NEXT_HEAD, <u8>NEXT_BODY, <u8>NEXT_WAIT, <u8>NEXT_DRAIN, <u8>NEXT_CLOSING, <u8>NEXT_RAW]);

/** Whether the table lets state `to` follow state `from`. */
// @ts-ignore: decorator
@inline export function mayFollow(from: i32, to: i32): bool {
  return (<u32>load<u8>(NEXT + <usize>from) & (1 << to)) != 0;
}

/**
 * The one place a connection changes state. A change the table does not allow is a bug in the
 * core: it traps rather than go on in a state no code expects.
 */
// @ts-ignore: decorator
@inline export function transition(conn: i32, to: i32): void {
  if (!mayFollow(get(conn, STATE), to)) unreachable();
  set(conn, STATE, to);
}

// Field offsets (bytes) in the connection record: each field starts where the one before ends.
export const STATE = 0;
export const FILL = STATE + 4;           // bytes in the window
export const POS = FILL + 4;             // first unconsumed byte
export const SCAN = POS + 4;             // where the head scan resumes
export const LINE_START = SCAN + 4;      // start of the line being scanned
export const LINES = LINE_START + 4;     // complete lines of the head so far
export const HEAD_START = LINES + 4;     // first byte of the request line
export const FLAGS = HEAD_START + 4;     // request flags (layout F_*)
export const BODY_MODE = FLAGS + 4;
export const CHUNK_STATE = BODY_MODE + 4;
export const WR = CHUNK_STATE + 4;       // decoded-body write cursor
export const SPAN = WR + 4;              // start of the decoded body not yet handed to the host
export const CONN_FLAGS = SPAN + 4;      // C_* below
export const EMIT_RUN = CONN_FLAGS + 4;  // run in which spans into the window were last handed out
export const TOUCH_RUN = EMIT_RUN + 4;   // run in which the connection was last put on the touched list
export const TRAILERS = TOUCH_RUN + 4;   // trailer fields so far
export const REMAIN = TRAILERS + 4;      // u64: body or chunk bytes left
export const BODY_TOTAL = REMAIN + 8;    // u64: decoded body bytes so far
export const RESP_FLAGS = BODY_TOTAL + 8; // response decisions (R_*)
export const DEADLINE_KIND = RESP_FLAGS + 4; // timers.ts K_*
export const DEADLINE = DEADLINE_KIND + 4; // f64: when it expires (host clock, ms)
export const WINDOW = DEADLINE + 8;      // the slot holding its record and window, or -1 (windows.ts)
const CONN_END = WINDOW + 4;
// The u64 and f64 fields must be 8-aligned, and the record must fit the table's stride.
// @ts-ignore: compile-time check
if (REMAIN % 8 != 0 || BODY_TOTAL % 8 != 0 || DEADLINE % 8 != 0) ERROR("conn.ts: a 64-bit field is not 8-aligned");
// @ts-ignore: compile-time check
if (<usize>CONN_END > CONN_SIZE) ERROR("conn.ts: the connection record outgrew layout.ts CONN_SIZE");

export const BODY_NONE = 0;
export const BODY_LENGTH = 1;
export const BODY_CHUNKED = 2;

export const CS_SIZE = 0;
export const CS_DATA = 1;
export const CS_DATA_END = 2;
export const CS_TRAILER = 3;

export const C_PEER_EOF: u32 = 1;   // the client closed its side
export const C_FULL: u32 = 2;       // the window is full, so the host stopped reading
export const C_CLOSE_AFTER: u32 = 4; // close once the current response is done
export const C_SERVED: u32 = 8;      // at least one response was completed on this connection

export const RF_CLOSE: u32 = 1;     // the response decided the connection closes after it

// @ts-ignore: decorator
@inline export function get(conn: i32, field: usize): i32 {
  return load<i32>(connTable + <usize>conn * CONN_SIZE + field);
}

// @ts-ignore: decorator
@inline export function set(conn: i32, field: usize, value: i32): void {
  store<i32>(connTable + <usize>conn * CONN_SIZE + field, value);
}

// @ts-ignore: decorator
@inline export function get64(conn: i32, field: usize): u64 {
  return load<u64>(connTable + <usize>conn * CONN_SIZE + field);
}

// @ts-ignore: decorator
@inline export function set64(conn: i32, field: usize, value: u64): void {
  store<u64>(connTable + <usize>conn * CONN_SIZE + field, value);
}

export function resetRequest(conn: i32): void {
  const pos = get(conn, POS);
  set(conn, SCAN, pos);
  set(conn, LINE_START, pos);
  set(conn, HEAD_START, pos);
  set(conn, LINES, 0);
  set(conn, FLAGS, 0);
  set(conn, BODY_MODE, BODY_NONE);
  set(conn, CHUNK_STATE, CS_SIZE);
  set(conn, TRAILERS, 0);
  set(conn, RESP_FLAGS, 0);
  set64(conn, REMAIN, 0);
  set64(conn, BODY_TOTAL, 0);
}
