// The core's ABI: the only functions a host calls. Everything else crosses in shared memory:
// events and actions (queue.ts), the request record (layout.ts), scratch areas for the response
// head. A host calls init once, then run(n) after writing n events; the next batch starts after
// the carriedEvents() the core queued itself.

import * as L from "./layout";
import * as Q from "./queue";
import { initChars } from "./chars";
import { initNames, nameOf, NAME_COUNT } from "./fieldnames";
import { errorStatus as statusOfError, errorReason, ERROR_COUNT } from "./errors";
import { initConnections, openConnection as open, run as runLoop, openCount, carriedCount, makeRaw, consume, readAddress } from "./loop";
import { serializeHead as head, serializeError, responseMode, responseLength } from "./response";
import { percentDecode } from "./parser";
import { putString } from "./chars";
import { setTimeouts as setDeadlines } from "./timers";
import { get, FILL, POS } from "./conn";
import { acquire, recordOf, windowsHeld } from "./windows";

function rawBytes(conn: i32): i32 { return get(conn, FILL) - get(conn, POS); }

/** Lays out memory for the limits; returns false when they are out of range or memory is short. */
export function init(maxConnections: i32, limitRequestLine: i32, limitRequestFields: i32,
  limitRequestFieldSize: i32, limitRequestHead: i32, maxBodySize: f64): bool {
  initChars();
  initNames();
  if (!L.configure(maxConnections, limitRequestLine, limitRequestFields, limitRequestFieldSize, limitRequestHead, maxBodySize)) return false;
  initConnections();
  return true;
}

export function openConnection(now: f64): i32 { return open(now); }
export function connections(): i32 { return openCount; }
/** Connections holding a window (the rest are idle and read into the landing zone). */
export function windows(): i32 { return windowsHeld(); }
export function run(eventCount: i32, now: f64): i32 { return runLoop(eventCount, now); }
/** Events the last run left at the front of the event queue for the next run. */
export function carriedEvents(): i32 { return carriedCount; }

/** Deadlines in milliseconds: a whole head, an idle keep-alive connection, a stalled body. */
export function setTimeouts(header: f64, keepAlive: f64, body: f64): void { setDeadlines(header, keepAlive, body); }

// Plain byte streams (wasgi/socket): the core keeps the window and reports readiness.
export function setRaw(conn: i32): void { makeRaw(conn); }
export function consumeRaw(conn: i32, n: i32): i32 { return consume(conn, n); }
export function rawReadAddress(conn: i32): usize { return readAddress(conn); }
export function rawAvailable(conn: i32): i32 { return rawBytes(conn); }

export function serializeHead(conn: i32, fieldCount: i32, bodyLength: f64, now: u32): i32 {
  return head(conn, fieldCount, bodyLength, now);
}
export function serializeErrorResponse(conn: i32, code: i32, now: u32): i32 {
  return serializeError(conn, code, now);
}
export function lastResponseMode(): i32 { return responseMode; }
export function lastResponseLength(): f64 { return responseLength; }

/** Percent-decodes the request path of `conn`'s record into scratchOut; returns the length. */
export function decodePath(conn: i32): i32 {
  const rec = recordOf(conn);
  return percentDecode(load<u32>(rec + (L.REC_PATH << 2)), load<u32>(rec + ((L.REC_PATH + 1) << 2)), L.scratchOut);
}

// Layout, read once by the host.
export function eventsAddress(): usize { return L.eventsBase; }
export function eventCapacity(): i32 { return L.eventCapacity; }
export function actionsAddress(): usize { return L.actionsBase; }
export function scratchInAddress(): usize { return L.scratchIn; }
export function scratchOutAddress(): usize { return L.scratchOut; }
export function responseTextAddress(): usize { return L.scratchIn + L.HEAD_INDEX_BYTES; }
export function responseTextSize(): i32 { return L.SCRATCH_SIZE - <i32>L.HEAD_INDEX_BYTES; }
export function recordAddress(conn: i32): usize { return recordOf(conn); }
/** The connection's window, taken from the pool if it has none (it then holds no bytes yet). */
export function windowAddress(conn: i32): usize { return acquire(conn); }
/** Where a connection without a window reads; the host copies such a read into windowAddress(). */
export function landingAddress(): usize { return L.landing; }
/** The window of pool slot `slot` (for tools that check the spans the core hands out). */
export function slotWindow(slot: i32): usize { return L.slotAt(slot) + L.recordSize; }
export function windowSize(): i32 { return L.windowSize; }

// Tables the host maps to strings once.
export function fieldNameCount(): i32 { return NAME_COUNT; }
export function errorCount(): i32 { return ERROR_COUNT; }
export function errorStatus(code: i32): i32 { return statusOfError(code); }
/** Writes a field name (by id) or an error reason (by code) into scratchOut; returns its length. */
export function fieldName(id: i32): i32 { return <i32>(putString(L.scratchOut, nameOf(id)) - L.scratchOut); }
export function errorText(code: i32): i32 { return <i32>(putString(L.scratchOut, errorReason(code)) - L.scratchOut); }

// Queue word layouts, re-exported so the host needs no second copy of the numbers.
export const EV_READ = Q.EV_READ;
export const EV_EOF = Q.EV_EOF;
export const EV_DONE = Q.EV_DONE;
export const EV_CLOSED = Q.EV_CLOSED;
export const EV_TICK = Q.EV_TICK;
export const EV_DRAIN = Q.EV_DRAIN;
export const EV_ADMIT = Q.EV_ADMIT;
export const ACT_CALL_APP = Q.ACT_CALL_APP;
export const ACT_BODY = Q.ACT_BODY;
export const ACT_BODY_END = Q.ACT_BODY_END;
export const ACT_ERROR = Q.ACT_ERROR;
export const ACT_CLOSE = Q.ACT_CLOSE;
export const ACT_REARM = Q.ACT_REARM;
export const ACT_READABLE = Q.ACT_READABLE;
export const ACT_RELEASE = Q.ACT_RELEASE;
