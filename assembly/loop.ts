// The readiness-dispatch loop. One run() takes every queued event: reads first (they only move a
// window's fill, so several reads of one connection coalesce), then the rest in order, then each
// touched connection's state machine is stepped once as far as its bytes allow. The machine's
// table is in conn.ts (transition() checks every change against it); here advance() runs each
// state's step, and the events that do not come with bytes (the host's DONE, deadlines,
// shutdown) have a handler each.

import * as E from "./errors";
import * as L from "./layout";
import * as Q from "./queue";
import { get, set, resetRequest, transition, mayFollow, FREE, HEAD, BODY, WAIT, DRAIN, CLOSING, RAW, STATE, FILL, POS, SCAN, LINE_START,
  HEAD_START, WR, SPAN, FLAGS, CONN_FLAGS, WINDOW, EMIT_RUN, TOUCH_RUN, RESP_FLAGS, C_PEER_EOF, C_FULL, C_CLOSE_AFTER, C_SERVED, RF_CLOSE } from "./conn";
import { scanHead, parseHead, NEED_MORE } from "./parser";
import { consumeBody, BODY_DONE } from "./body";
import * as T from "./timers";
import { initWindows, windowOf, hasWindow, release } from "./windows";

let runNumber = 1;
let touchedCount = 0;
let freeCount = 0;
export let openCount = 0;
/** Events this run queued for the next one, at the front of the event queue (see compact). */
export let carriedCount = 0;

export function initConnections(): void {
  initWindows();
  // Every slot starts FREE (0: the memory is zeroed).
  for (let i = 0; i < L.maxConnections; i++) set(i, WINDOW, -1);
  // Free list as a stack, lowest id on top.
  freeCount = L.maxConnections;
  for (let i = 0; i < L.maxConnections; i++) store<i32>(L.freeBase + (<usize>i << 2), L.maxConnections - 1 - i);
}

/** Takes a free slot for a new connection; -1 when all are in use. */
export function openConnection(now: f64): i32 {
  if (freeCount == 0) return -1;
  T.setNow(now);
  const conn = load<i32>(L.freeBase + (<usize>(--freeCount) << 2));
  transition(conn, HEAD);
  set(conn, WINDOW, -1);
  set(conn, FILL, 0);
  set(conn, POS, 0);
  set(conn, CONN_FLAGS, 0);
  set(conn, EMIT_RUN, 0);
  set(conn, TOUCH_RUN, 0);
  resetRequest(conn);
  T.armNew(conn);
  openCount++;
  return conn;
}

function freeConnection(conn: i32): void {
  if (get(conn, STATE) == FREE) return;
  release(conn);
  transition(conn, FREE);
  store<i32>(L.freeBase + (<usize>(freeCount++) << 2), conn);
  openCount--;
}

function touch(conn: i32): void {
  if (get(conn, TOUCH_RUN) == runNumber) return;
  set(conn, TOUCH_RUN, runNumber);
  store<i32>(L.touchedBase + (<usize>(touchedCount++) << 2), conn);
}

function valid(conn: i32): bool {
  return conn >= 0 && conn < L.maxConnections && get(conn, STATE) != FREE;
}

export function run(count: i32, now: f64): i32 {
  Q.resetActions();
  T.setNow(now);
  runNumber++;
  touchedCount = 0;
  carriedCount = 0;
  const events = L.eventsBase;
  let tick = false;
  let drain = false;
  let waiting = 0;
  for (let i = 0; i < count; i++) {
    const e = events + <usize>i * L.EVENT_BYTES;
    const type = load<i32>(e);
    const conn = load<i32>(e, 4);
    if (type == Q.EV_TICK) { tick = true; continue; }
    if (type == Q.EV_DRAIN) { drain = true; continue; }
    if (type == Q.EV_ADMIT) { waiting = max(waiting, load<i32>(e, 8)); continue; }
    if (!valid(conn)) continue;
    if (type == Q.EV_READ) {
      const fill = load<i32>(e, 8);
      if (fill > get(conn, FILL) && fill <= L.windowSize) set(conn, FILL, fill);
      if (fill == L.windowSize) set(conn, CONN_FLAGS, get(conn, CONN_FLAGS) | C_FULL);
      touch(conn);
    } else if (type == Q.EV_EOF) {
      set(conn, CONN_FLAGS, get(conn, CONN_FLAGS) | C_PEER_EOF);
      touch(conn);
    }
  }
  for (let i = 0; i < count; i++) {
    const e = events + <usize>i * L.EVENT_BYTES;
    const type = load<i32>(e);
    const conn = load<i32>(e, 4);
    if (!valid(conn)) continue;
    if (type == Q.EV_DONE) {
      if (load<i32>(e, 8) != 0) set(conn, CONN_FLAGS, get(conn, CONN_FLAGS) | C_CLOSE_AFTER);
      responseDone(conn);
      touch(conn);
    } else if (type == Q.EV_CLOSED) {
      freeConnection(conn);
    }
  }
  for (let i = 0; i < touchedCount; i++) {
    const conn = load<i32>(L.touchedBase + (<usize>i << 2));
    if (get(conn, STATE) != FREE) step(conn);
  }
  if (tick) expireDeadlines();
  if (drain) drainAll();
  if (waiting > 0) admit(waiting);
  return Q.actionCount;
}

/** The most idle connections one run closes for newcomers (nginx frees 32 at a time). */
const ADMIT_AT_ONCE = 32;
/** The longest-idle candidates, oldest first: (idle since: f64, connection: i32) in 16 bytes each. */
const CANDIDATES = memory.data(ADMIT_AT_ONCE * 16, 8);

/**
 * `waiting` newcomers want a slot: the connections idle longest (never used, or kept alive between
 * requests) close to make room, as nginx reuses its idle keep-alive connections; free slots (the
 * host gives them to the waiting after this run) and connections already closing count as room.
 * A connection doing work is never closed.
 */
function admit(waiting: i32): void {
  // One pass: count the room there is, and keep the `most` idle longest, oldest first.
  const most = min(waiting, ADMIT_AT_ONCE);
  let room = 0;
  let found = 0;
  for (let conn = 0; conn < L.maxConnections; conn++) {
    const state = get(conn, STATE);
    if (state == FREE || state == CLOSING) room++;
    const since = T.idleSince(conn);
    if (since == Infinity || (found == most && since >= load<f64>(CANDIDATES + <usize>(found - 1) * 16))) continue;
    // Insert in order, dropping the newest when the list is full.
    let at = found < most ? found++ : found - 1;
    while (at > 0 && load<f64>(CANDIDATES + <usize>(at - 1) * 16) > since) {
      memory.copy(CANDIDATES + <usize>at * 16, CANDIDATES + <usize>(at - 1) * 16, 16);
      at--;
    }
    store<f64>(CANDIDATES + <usize>at * 16, since);
    store<i32>(CANDIDATES + <usize>at * 16, conn, 8);
  }
  const closing = min(found, waiting - room);
  for (let i = 0; i < closing; i++) {
    const conn = load<i32>(CANDIDATES + <usize>i * 16, 8);
    // Nothing was sent lately nor is unread: no response to linger for, so the slot frees at once.
    transition(conn, CLOSING);
    Q.emit(Q.ACT_CLOSE, conn, 1, 0);
  }
}

/** Graceful shutdown: idle connections close now, the others after their current response. */
function drainAll(): void {
  for (let conn = 0; conn < L.maxConnections; conn++) {
    const state = get(conn, STATE);
    if (state == FREE || state == RAW || state == CLOSING) continue;
    set(conn, CONN_FLAGS, get(conn, CONN_FLAGS) | C_CLOSE_AFTER);
    // Idle between requests: close. A new connection may have its first request on the way;
    // it is answered (with Connection: close) or meets its header deadline.
    if (state == HEAD && get(conn, FILL) == get(conn, POS) && (<u32>get(conn, CONN_FLAGS) & C_SERVED) != 0) close(conn);
  }
}

/** Answers every connection whose deadline has passed. */
function expireDeadlines(): void {
  for (let conn = 0; conn < L.maxConnections; conn++) {
    const state = get(conn, STATE);
    if (state == FREE) continue;
    const kind = T.expired(conn);
    if (kind == T.K_IDLE) {
      close(conn);
    } else if (kind == T.K_HEAD) {
      fail(conn, E.E_REQUEST_TIMEOUT);
    } else if (kind == T.K_BODY) {
      if (state == BODY) {
        Q.emit(Q.ACT_BODY_END, conn, 2, E.E_REQUEST_TIMEOUT);
        fail(conn, E.E_REQUEST_TIMEOUT);
      } else {
        close(conn); // DRAIN
      }
    }
  }
}

/** The application finished its response (DONE). */
function responseDone(conn: i32): void {
  const closing = (<u32>get(conn, RESP_FLAGS) & RF_CLOSE) != 0 || (<u32>get(conn, CONN_FLAGS) & C_CLOSE_AFTER) != 0;
  switch (get(conn, STATE)) {
    case WAIT: {
      if (closing) close(conn);
      else nextRequest(conn);
      break;
    }
    case BODY: {
      // The body was not read whole: discard the rest to keep the connection, unless closing anyway.
      if (closing) close(conn);
      else transition(conn, DRAIN);
      break;
    }
    case CLOSING: {
      // A request error already answered the client through the application's input.
      close(conn);
      break;
    }
  }
}

/** To CLOSING: the host closes the connection after its pending writes. */
function close(conn: i32): void {
  transition(conn, CLOSING);
  Q.emit(Q.ACT_CLOSE, conn, 0, 0);
}

/** To CLOSING: the host answers with the error's response, then closes. */
function fail(conn: i32, code: i32): void {
  transition(conn, CLOSING);
  Q.emit(Q.ACT_ERROR, conn, code, 0);
}

/** To HEAD: the connection is kept for the next request. */
// @ts-ignore: decorator
@inline function nextRequest(conn: i32): void {
  transition(conn, HEAD);
  set(conn, CONN_FLAGS, (get(conn, CONN_FLAGS) & ~C_CLOSE_AFTER) | C_SERVED);
  resetRequest(conn);
}

/**
 * Gives a window back its free space: bytes already consumed are dropped, and unconsumed bytes
 * move to the start when the consumed prefix grew large or the window is full. Bytes never move in
 * a run that handed out spans into this window (the host copies them after the run), but dropping
 * a fully consumed window is always safe: the next read lands only after the host took its actions.
 */
function compact(conn: i32, win: usize): void {
  const pos = get(conn, POS);
  if (pos == 0) return;
  const fill = get(conn, FILL);
  const flags = <u32>get(conn, CONN_FLAGS);
  const full = (flags & C_FULL) != 0;
  const state = get(conn, STATE);
  if (state == RAW) return;
  if (pos == fill) {
    const idle = state == HEAD || state == WAIT;
    if (idle && pos < L.COMPACT_AT && !full) return;
  } else {
    if (get(conn, EMIT_RUN) == runNumber) {
      // A full window stays stopped until its bytes move: step it again in the next run, once
      // the host has copied this run's spans. The event is the core's own, so every host gets it.
      if (full) carry(conn);
      return;
    }
    if (pos < L.COMPACT_AT && !full) return;
    memory.copy(win, win + pos, fill - pos);
  }
  set(conn, FILL, fill - pos);
  set(conn, POS, 0);
  if (state == HEAD) {
    set(conn, SCAN, get(conn, SCAN) - pos);
    set(conn, LINE_START, get(conn, LINE_START) - pos);
    set(conn, HEAD_START, get(conn, HEAD_START) - pos);
  }
  if (full) set(conn, CONN_FLAGS, flags & ~C_FULL);
  Q.emit(Q.ACT_REARM, conn, fill - pos, full ? 1 : 0);
}

function carry(conn: i32): void {
  const e = L.eventsBase + <usize>(carriedCount++) * L.EVENT_BYTES;
  store<i32>(e, Q.EV_READ);
  store<i32>(e, conn, 4);
  store<i32>(e, get(conn, FILL), 8);
}

/** Steps one connection's state machine as far as the bytes in its window allow. */
function step(conn: i32): void {
  const win = windowOf(conn);
  compact(conn, win);
  const pos = get(conn, POS);
  advance(conn, win);
  if (get(conn, STATE) == FREE) return;
  T.arm(conn, get(conn, POS) != pos);
  if (get(conn, STATE) == HEAD && get(conn, POS) == get(conn, FILL) && hasWindow(conn)) {
    // Idle between requests, every byte parsed: the window goes back to the pool and the next
    // read lands in the landing zone (no action of this run points into an idle window).
    release(conn);
    Q.emit(Q.ACT_RELEASE, conn, 0, 0);
  } else {
    compact(conn, win);
  }
}

/** Runs the current state's step, and the next state's while a step moves on to one with work to do. */
function advance(conn: i32, win: usize): void {
  while (true) {
    switch (get(conn, STATE)) {
      case HEAD: {
        if (readHead(conn, win)) continue;
        return;
      }
      case BODY: {
        readBody(conn, win);
        return;
      }
      case DRAIN: {
        if (discardBody(conn, win)) continue;
        return;
      }
      case CLOSING: {
        discardInput(conn);
        return;
      }
      case RAW: {
        reportReadable(conn);
        return;
      }
      default: return; // WAIT: the application has the connection
    }
  }
}

/** HEAD: scans the new bytes for the end of the head, then parses it. True once the application is called. */
// @ts-ignore: decorator
@inline function readHead(conn: i32, win: usize): bool {
  const r = scanHead(conn, win);
  if (r == NEED_MORE) {
    if (get(conn, CONN_FLAGS) & C_PEER_EOF) close(conn);
    return false;
  }
  if (r < 0) { fail(conn, -r); return false; }
  const e = parseHead(conn, win, r);
  if (e != E.OK) { fail(conn, e); return false; }
  set(conn, EMIT_RUN, runNumber);
  Q.emit(Q.ACT_CALL_APP, conn, 0, 0);
  transition(conn, (<u32>get(conn, FLAGS) & L.F_HAS_BODY) != 0 ? BODY : WAIT);
  set(conn, SPAN, get(conn, POS));
  set(conn, WR, get(conn, POS));
  return true;
}

/** BODY: decodes the body bytes that arrived and hands them to the host as one span. */
// @ts-ignore: decorator
@inline function readBody(conn: i32, win: usize): void {
  const span = get(conn, POS);
  set(conn, SPAN, span);
  set(conn, WR, span);
  const r = consumeBody(conn, win, false);
  const wr = get(conn, WR);
  if (wr > span) {
    set(conn, EMIT_RUN, runNumber);
    Q.emit(Q.ACT_BODY, conn, <i32>(win + span), wr - span);
  }
  if (r < 0) {
    Q.emit(Q.ACT_BODY_END, conn, 2, -r);
    fail(conn, -r);
  } else if (r == BODY_DONE) {
    Q.emit(Q.ACT_BODY_END, conn, 0, 0);
    transition(conn, WAIT);
  } else if (get(conn, CONN_FLAGS) & C_PEER_EOF) {
    Q.emit(Q.ACT_BODY_END, conn, 1, 0);
    set(conn, CONN_FLAGS, get(conn, CONN_FLAGS) | C_CLOSE_AFTER);
    transition(conn, WAIT);
  }
}

/** DRAIN: reads the rest of a body nobody wants. True once it is over and the next head may follow. */
// @ts-ignore: decorator
@inline function discardBody(conn: i32, win: usize): bool {
  const span = get(conn, POS);
  set(conn, SPAN, span);
  set(conn, WR, span);
  const r = consumeBody(conn, win, true);
  if (r < 0) {
    fail(conn, -r);
  } else if (r == BODY_DONE) {
    nextRequest(conn);
    return true;
  } else if (get(conn, CONN_FLAGS) & C_PEER_EOF) {
    close(conn);
  }
  return false;
}

/** CLOSING: input after the last response is read and dropped until the socket closes. */
// @ts-ignore: decorator
@inline function discardInput(conn: i32): void {
  set(conn, POS, get(conn, FILL));
}

/** RAW: tells the host what it may take from the window. */
// @ts-ignore: decorator
@inline function reportReadable(conn: i32): void {
  const eof = (<u32>get(conn, CONN_FLAGS) & C_PEER_EOF) != 0;
  const available = get(conn, FILL) - get(conn, POS);
  if (available > 0 || eof) Q.emit(Q.ACT_READABLE, conn, available, eof ? 1 : 0);
}

/** Makes a freshly opened connection a plain byte stream. */
export function makeRaw(conn: i32): void {
  if (!valid(conn) || !mayFollow(get(conn, STATE), RAW)) return;
  transition(conn, RAW);
  T.disarm(conn);
}

/**
 * The host took `n` bytes from the front of a RAW window. Returns the offset the next read must
 * land at when it moved (the host re-points its read buffer, and resumes if the window was
 * full), or -1 when it did not.
 */
export function consume(conn: i32, n: i32): i32 {
  if (!valid(conn) || get(conn, STATE) != RAW) return -1;
  const pos = min(get(conn, POS) + max(n, 0), get(conn, FILL));
  set(conn, POS, pos);
  const fill = get(conn, FILL);
  const flags = <u32>get(conn, CONN_FLAGS);
  const full = (flags & C_FULL) != 0;
  if (pos == fill) {
    // Nothing left: start over at the window's front (no bytes move).
  } else if (pos >= L.COMPACT_AT || full) {
    memory.copy(windowOf(conn), windowOf(conn) + pos, fill - pos);
  } else {
    return -1;
  }
  set(conn, FILL, fill - pos);
  set(conn, POS, 0);
  if (full) set(conn, CONN_FLAGS, flags & ~C_FULL);
  return fill - pos;
}

/** The first unconsumed byte of a RAW window (absolute address). */
export function readAddress(conn: i32): usize {
  return windowOf(conn) + <usize>get(conn, POS);
}
