// The one driver of the WASI builds: it feeds input to the core as reads into its window and acts
// on its actions exactly as the Node host does (test/helpers/parse.ts), so that the command and
// the component run the server's parser and not a second one. Finished requests are copied into
// the region (./request.ts), oldest first.

import * as L from "../layout";
import * as Q from "../queue";
import { init, openConnection, run, carriedEvents, windowAddress, recordAddress } from "../index";
import { get, FILL, POS, HEAD_START } from "../conn";
import { errorStatus, errorReason } from "../errors";
import { alignUp, startRegion } from "./region";
import { RQ_FLAGS, RQ_OFFSET, RQ_NEXT, copyRequest, appendBody } from "./request";

let ready = false;

/**
 * Lays out the core once with the server's default limits and one connection, and starts the
 * region above it. Must run before the first WASI call (see ./region.ts).
 */
export function setup(): void {
  if (ready) return;
  if (!init(1, L.DEFAULT_LIMIT_REQUEST_LINE, L.DEFAULT_LIMIT_REQUEST_FIELDS, L.DEFAULT_LIMIT_REQUEST_FIELD_SIZE, L.DEFAULT_LIMIT_REQUEST_HEAD, L.DEFAULT_MAX_BODY_SIZE)) unreachable();
  startRegion(alignUp(L.end + 64, 64));
  ready = true;
}

/** Finished requests not yet taken, oldest first (linked by RQ_NEXT). */
export let doneHead: usize = 0;
let doneTail: usize = 0;
export let doneCount = 0;
/** The request whose body is still arriving, or 0. */
let current: usize = 0;

/** The failure, once `failed`: code (0: incomplete request at the end of input) and offset. */
export let failed = false;
export let errorCode = 0;
export let errorOffset: u64 = 0;
/** The connection is over (an error, or a request that ends it): further input is ignored. */
export let closed = false;

let conn = -1;
let window: usize = 0;
/** Where the next read lands in the window (the window's fill as the host knows it). */
let readOffset = 0;
/** Input stream offset of window offset 0. */
let base: u64 = 0;
let eventCount = 0;

function push(type: i32, arg: i32): void {
  const e = L.eventsBase + <usize>eventCount * 12;
  store<i32>(e, type);
  store<i32>(e, conn, 4);
  store<i32>(e, arg, 8);
  eventCount++;
}

/** Opens a connection for a new input stream and forgets the previous one's requests. */
export function begin(): void {
  setup();
  doneHead = 0; doneTail = 0; doneCount = 0; current = 0;
  failed = false; errorCode = 0; errorOffset = 0; closed = false;
  readOffset = 0; base = 0; eventCount = 0;
  conn = openConnection(0);
  if (conn < 0) unreachable();
  window = windowAddress(conn);
}

/** Gives the connection back to the core. */
export function end(): void {
  if (conn < 0) return;
  eventCount = 0;
  push(Q.EV_CLOSED, 0);
  run(eventCount, 0);
  eventCount = 0;
  conn = -1;
}

/** The window's free part: where the next read lands and how much fits. */
export function readAddress(): usize { return window + <usize>readOffset; }
export function readSpace(): i32 { return L.windowSize - readOffset; }

/** `n` bytes were read into readAddress(). */
export function fed(n: i32): void {
  if (closed || n <= 0) return;
  readOffset += n;
  push(Q.EV_READ, readOffset);
  runAll();
  if (!closed && readOffset == L.windowSize) unreachable();
}

/** Copies `len` bytes from `src` in as many reads as the window takes. */
export function feedBytes(src: usize, len: i32): void {
  let at = 0;
  while (at < len && !closed) {
    const n = min(len - at, readSpace());
    memory.copy(readAddress(), src + <usize>at, n);
    at += n;
    fed(n);
  }
}

/** The input ended: a request cut short is an error (code 0, "incomplete request"). */
export function finishInput(): void {
  if (closed) return;
  if (current == 0 && get(conn, FILL) > get(conn, POS)) {
    fail(0, headOffset());
    return;
  }
  push(Q.EV_EOF, 0);
  runAll();
  closed = true;
}

/** Parses a whole input held in memory; the requests are on the done list afterwards. */
export function parseAll(src: usize, len: i32): void {
  begin();
  feedBytes(src, len);
  finishInput();
  end();
}

/** Status and reason of an error code; code 0 is an incomplete request. */
export function statusOf(code: i32): i32 { return code == 0 ? 400 : errorStatus(code); }
export function reasonOf(code: i32): string { return code == 0 ? "incomplete request" : errorReason(code); }

/** Takes the oldest finished request off the list (0 when none). */
export function takeDone(): usize {
  const r = doneHead;
  if (r == 0) return 0;
  doneHead = load<u32>(r + RQ_NEXT);
  if (doneHead == 0) doneTail = 0;
  return r;
}

/** True while a request's body is still arriving (its copy must stay where it is). */
export function inRequest(): bool { return current != 0; }

/** Where the head the core is at starts in the input stream. */
function headOffset(): u64 { return base + <u64>get(conn, HEAD_START); }

function fail(code: i32, offset: u64): void {
  failed = true;
  errorCode = code;
  errorOffset = offset;
  closed = true;
}

/** A request is whole: list it and tell the core its "response" is done. */
function complete(r: usize): void {
  if (doneTail != 0) store<u32>(doneTail + RQ_NEXT, <u32>r);
  else doneHead = r;
  doneTail = r;
  doneCount++;
  current = 0;
  push(Q.EV_DONE, (load<u32>(r + RQ_FLAGS) & L.F_KEEP_ALIVE) != 0 ? 0 : 1);
}

function runAll(): void {
  while (eventCount > 0 && !closed) {
    const count = eventCount;
    eventCount = 0;
    const n = run(count, 0);
    eventCount = carriedEvents();
    for (let i = 0; i < n && !closed; i++) {
      const a = L.actionsBase + (<usize>i << 4);
      const type = load<i32>(a);
      const x = load<i32>(a, 8);
      const y = load<i32>(a, 12);
      if (type == Q.ACT_CALL_APP) {
        // The record's spans live only until the next run: copy them out now.
        const r = copyRequest(recordAddress(conn), headOffset());
        if (load<u32>(r + RQ_FLAGS) & L.F_HAS_BODY) current = r;
        else complete(r);
      } else if (type == Q.ACT_BODY) {
        if (current != 0) appendBody(current, <usize>x, y);
      } else if (type == Q.ACT_BODY_END) {
        if (x == 0 && current != 0) complete(current);
        else if (x == 1 && current != 0) fail(0, load<u64>(current + RQ_OFFSET));
        // x == 2: the body failed; the ERROR action follows.
      } else if (type == Q.ACT_ERROR) {
        fail(x, current != 0 ? load<u64>(current + RQ_OFFSET) : headOffset());
      } else if (type == Q.ACT_CLOSE) {
        closed = true;
      } else if (type == Q.ACT_REARM) {
        // The unconsumed bytes moved to the window's front: the stream offset of window offset 0
        // moves up by what was dropped.
        base += <u64>(readOffset - x);
        readOffset = x;
      } else if (type == Q.ACT_RELEASE) {
        // Every byte was parsed and the window went back to the pool: take one again.
        base += <u64>readOffset;
        readOffset = 0;
        window = windowAddress(conn);
      }
    }
  }
  eventCount = 0;
}
