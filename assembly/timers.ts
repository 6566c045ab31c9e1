// Deadlines: each connection has at most one (what it is waiting for decides which), and a tick
// sweeps the connection table for the expired ones. The sweep touches 96 bytes per slot once per
// tick (about 10 µs for 10 000 connections) and costs nothing on the request path, where a
// timer wheel would relink lists on every state change.

import * as L from "./layout";
import { get, set, STATE, FILL, POS, HEAD, BODY, DRAIN, DEADLINE_KIND, DEADLINE, CONN_FLAGS, C_SERVED } from "./conn";

export const K_NONE = 0;
export const K_IDLE = 1;    // between requests, or a new connection with no bytes yet: close
export const K_HEAD = 2;    // a head is arriving: 408 and close when it is not whole in time
export const K_BODY = 3;    // a body is arriving: close when it stalls

export let headerTimeout: f64 = L.DEFAULT_HEADER_TIMEOUT_MS;
export let keepAliveTimeout: f64 = L.DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
export let bodyTimeout: f64 = L.DEFAULT_BODY_TIMEOUT_MS;
/** Milliseconds on the host's monotonic clock, as of the current run. */
export let now: f64 = 0;

export function setNow(t: f64): void {
  now = t;
}

export function setTimeouts(header: f64, keepAlive: f64, body: f64): void {
  headerTimeout = header;
  keepAliveTimeout = keepAlive;
  bodyTimeout = body;
}

// @ts-ignore: decorator
@inline function deadline(conn: i32, kind: i32, after: f64): void {
  set(conn, DEADLINE_KIND, kind);
  store<f64>(L.connTable + <usize>conn * L.CONN_SIZE + DEADLINE, now + after);
}

export function disarm(conn: i32): void {
  set(conn, DEADLINE_KIND, K_NONE);
}

/** A new connection has headerTimeout to send its first byte. */
export function armNew(conn: i32): void {
  deadline(conn, K_IDLE, headerTimeout);
}

/** Re-arms after a step: the state and the bytes waiting say what the connection waits for. */
export function arm(conn: i32, progressed: bool): void {
  const state = get(conn, STATE);
  const kind = get(conn, DEADLINE_KIND);
  if (state == HEAD) {
    if (get(conn, FILL) > get(conn, POS)) {
      if (kind != K_HEAD) deadline(conn, K_HEAD, headerTimeout);
    } else if (kind != K_IDLE) {
      deadline(conn, K_IDLE, keepAliveTimeout);
    }
  } else if (state == BODY || state == DRAIN) {
    if (kind != K_BODY || progressed) deadline(conn, K_BODY, bodyTimeout);
  } else {
    set(conn, DEADLINE_KIND, K_NONE);
  }
}

/** The kind of the connection's deadline if it has passed, else K_NONE. */
export function expired(conn: i32): i32 {
  const kind = get(conn, DEADLINE_KIND);
  if (kind == K_NONE) return K_NONE;
  if (load<f64>(L.connTable + <usize>conn * L.CONN_SIZE + DEADLINE) > now) return K_NONE;
  set(conn, DEADLINE_KIND, K_NONE);
  return kind;
}

/**
 * Since when the connection has been idle (a new one that has sent nothing, or one kept alive
 * between requests, with nothing of a request in its window), or Infinity when it is not idle.
 */
export function idleSince(conn: i32): f64 {
  if (get(conn, STATE) != HEAD || get(conn, DEADLINE_KIND) != K_IDLE || get(conn, FILL) != get(conn, POS)) return Infinity;
  const after = (<u32>get(conn, CONN_FLAGS) & C_SERVED) != 0 ? keepAliveTimeout : headerTimeout;
  return load<f64>(L.connTable + <usize>conn * L.CONN_SIZE + DEADLINE) - after;
}
