// Input windows are pooled. A connection holds a slot (request record + window) only while it has
// bytes to parse or a request in progress; an idle keep-alive connection gives its slot back and
// the host points its reads at the shared landing zone. The host copies such a read into a slot
// it takes with acquire(). Free slots form a stack, so the few slots in use stay the same pages:
// memory follows the connections that are busy, not the ones that are open.

import * as L from "./layout";
import { get, set, resetRequest, WINDOW, FILL, POS, CONN_FLAGS, C_FULL } from "./conn";

let freeSlots = 0;

export function initWindows(): void {
  // Lowest slot on top.
  freeSlots = L.maxConnections;
  for (let i = 0; i < L.maxConnections; i++) store<i32>(L.freeSlotsBase + (<usize>i << 2), L.maxConnections - 1 - i);
}

/** Slots held by connections now. */
export function windowsHeld(): i32 {
  return L.maxConnections - freeSlots;
}

// @ts-ignore: decorator
@inline export function hasWindow(conn: i32): bool {
  return get(conn, WINDOW) >= 0;
}

/** The connection's window; the landing zone (holding none of its bytes) when it has none. */
// @ts-ignore: decorator
@inline export function windowOf(conn: i32): usize {
  const slot = get(conn, WINDOW);
  return slot >= 0 ? L.slotAt(slot) + L.recordSize : L.landing;
}

/** The request record, valid while the connection holds its window. */
// @ts-ignore: decorator
@inline export function recordOf(conn: i32): usize {
  return L.slotAt(get(conn, WINDOW));
}

/** Gives the connection a window (it keeps the one it has); returns its address. */
export function acquire(conn: i32): usize {
  if (get(conn, WINDOW) < 0) {
    // Every connection holds at most one slot, and there are as many slots as connections.
    set(conn, WINDOW, load<i32>(L.freeSlotsBase + (<usize>(--freeSlots) << 2)));
  }
  return windowOf(conn);
}

/** Returns the connection's window to the pool; its parse positions start over at 0. */
export function release(conn: i32): void {
  const slot = get(conn, WINDOW);
  if (slot < 0) return;
  store<i32>(L.freeSlotsBase + (<usize>(freeSlots++) << 2), slot);
  set(conn, WINDOW, -1);
  set(conn, FILL, 0);
  set(conn, POS, 0);
  set(conn, CONN_FLAGS, get(conn, CONN_FLAGS) & ~C_FULL);
  // Only an idle or closing connection gives its window back: no request is under way.
  resetRequest(conn);
}
