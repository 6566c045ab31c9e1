// The response head serializer. The host lays the application's status and header fields into
// scratchIn (an index of spans, then the bytes); this validates them (PEP 3333 and RFC 9110
// rules), decides framing and persistence from the request and the status, and writes the head
// into scratchOut: status line, the application's fields, Date, Server, framing, Connection.

import { is, DIGIT, putString, equals, equalsLower, CR, LF, SP, COLON, DIGIT_0, nextElement, elementStart, elementLength } from "./chars";
import { findNonToken, findNonValue } from "./scan";
import * as E from "./errors";
import * as L from "./layout";
import { get, set, FLAGS, HEAD_START, RESP_FLAGS, CONN_FLAGS, C_CLOSE_AFTER, RF_CLOSE } from "./conn";
import { httpDate } from "./date";
import { hasWindow, windowOf } from "./windows";
import { internName, N_CONNECTION, N_CONTENT_LENGTH, N_DATE, N_SERVER, N_KEEP_ALIVE, N_TE, N_TRAILER,
  N_TRAILERS, N_TRANSFER_ENCODING, N_UPGRADE, N_PROXY_AUTHENTICATE, N_PROXY_AUTHORIZATION, N_PROXY_CONNECTION } from "./fieldnames";

export const MODE_FIXED = 1;    // Content-Length framing
export const MODE_CHUNKED = 2;  // chunked transfer coding
export const MODE_CLOSE = 3;    // body delimited by closing the connection (HTTP/1.0)
export const MODE_NONE = 4;     // no body may be sent (HEAD, 1xx, 204, 304)

export let responseMode = 0;
export let responseLength: f64 = -1;

let out: usize = 0;
let outEnd: usize = 0;

// @ts-ignore: decorator
@inline function room(n: usize): bool {
  return out + n <= outEnd;
}

function putBytes(src: usize, n: i32): void {
  memory.copy(out, src, n);
  out += n;
}

// Two bytes stored as one little-endian u16.
const CRLF: u16 = <u16>(CR | LF << 8);
const COLON_SP: u16 = <u16>(COLON | SP << 8);

function putCRLF(): void {
  store<u16>(out, CRLF);
  out += 2;
}

function putDecimal(n: u64): void {
  let digits = 1;
  for (let m = n; m >= 10; m /= 10) digits++;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(out + i, <u8>(DIGIT_0 + n % 10));
    n /= 10;
  }
  out += digits;
}

function isHopByHop(id: i32): bool {
  return id == N_KEEP_ALIVE || id == N_TE || id == N_TRAILER || id == N_TRAILERS || id == N_TRANSFER_ENCODING ||
    id == N_UPGRADE || id == N_PROXY_AUTHENTICATE || id == N_PROXY_AUTHORIZATION || id == N_PROXY_CONNECTION;
}

/**
 * Serializes the response head for `conn` from the `count` fields in scratchIn. `bodyLength` is
 * the whole body's size when the host already knows it, else -1. Returns the head's length in
 * scratchOut, or a negated R_* error code.
 */
export function serializeHead(conn: i32, count: i32, bodyLength: f64, now: u32): i32 {
  if (count < 0 || count > L.MAX_RESPONSE_FIELDS) return -E.R_TOO_MANY_FIELDS;
  const index = L.scratchIn;
  const text = L.scratchIn + L.HEAD_INDEX_BYTES;
  out = L.scratchOut;
  outEnd = L.scratchOut + L.SCRATCH_SIZE;

  // status = 3DIGIT SP reason-phrase
  const status = text + load<u32>(index);
  const statusLen = <i32>load<u32>(index + 4);
  if (statusLen < 4 || !is(load<u8>(status), DIGIT) || !is(load<u8>(status + 1), DIGIT) ||
      !is(load<u8>(status + 2), DIGIT) || load<u8>(status + 3) != SP) return -E.R_STATUS;
  const code = (<i32>load<u8>(status) - DIGIT_0) * 100 + (<i32>load<u8>(status + 1) - DIGIT_0) * 10 + (<i32>load<u8>(status + 2) - DIGIT_0);
  if (code < 100) return -E.R_STATUS;
  if (findNonValue(status + 4, status + statusLen) < status + statusLen) return -E.R_STATUS;
  if (!room(statusLen + 11)) return -E.R_HEAD_TOO_LARGE;
  out = putString(out, "HTTP/1.1 ");
  putBytes(status, statusLen);
  putCRLF();

  let declared: f64 = -1;
  let appClose = false;
  let hasDate = false;
  let hasServer = false;
  for (let f = 0; f < count; f++) {
    const w = index + (<usize>(L.HEAD_INDEX_FIELDS + f * L.HEAD_INDEX_FIELD_WORDS) << 2);
    const name = text + load<u32>(w);
    const nameLen = <i32>load<u32>(w + 4);
    const value = text + load<u32>(w + 8);
    const valueLen = <i32>load<u32>(w + 12);
    if (nameLen == 0) return -E.R_FIELD_NAME;
    if (findNonToken(name, name + nameLen) < name + nameLen) return -E.R_FIELD_NAME;
    if (findNonValue(value, value + valueLen) < value + valueLen) return -E.R_FIELD_VALUE;
    const id = internName(name, nameLen);
    if (id == N_CONNECTION) {
      // The server owns persistence; the application may only ask to close.
      if (hasToken(value, valueLen, "close")) appClose = true;
      continue;
    }
    if (isHopByHop(id)) return -E.R_HOP_BY_HOP;
    if (id == N_CONTENT_LENGTH) {
      if (declared >= 0 || valueLen == 0 || valueLen > 15) return -E.R_CONTENT_LENGTH;
      let n: f64 = 0;
      for (let i = 0; i < valueLen; i++) {
        const c = <u32>load<u8>(value + i);
        if (!is(c, DIGIT)) return -E.R_CONTENT_LENGTH;
        n = n * 10 + <f64>(c - DIGIT_0);
      }
      declared = n;
    } else if (id == N_DATE) {
      hasDate = true;
    } else if (id == N_SERVER) {
      hasServer = true;
    }
    if (!room(nameLen + valueLen + 4)) return -E.R_HEAD_TOO_LARGE;
    putBytes(name, nameLen);
    store<u16>(out, COLON_SP);
    out += 2;
    putBytes(value, valueLen);
    putCRLF();
  }
  if (!room(160)) return -E.R_HEAD_TOO_LARGE;
  if (!hasDate) {
    out = putString(out, "Date: ");
    putBytes(httpDate(now), 29);
    putCRLF();
  }
  if (!hasServer) out = putString(out, "Server: wasgi\r\n");

  const flags = <u32>get(conn, FLAGS);
  const http11 = (flags & L.F_HTTP11) != 0;
  const noBody = code < 200 || code == 204 || code == 304;
  let mode = MODE_FIXED;
  let length = declared;
  if (noBody) {
    mode = MODE_NONE;
    length = 0;
  } else if (declared < 0 && bodyLength >= 0) {
    length = bodyLength;
    out = putString(out, "Content-Length: ");
    putDecimal(<u64>bodyLength);
    putCRLF();
  } else if (declared < 0) {
    if (flags & L.F_HEAD) mode = MODE_NONE;
    else if (http11) {
      mode = MODE_CHUNKED;
      out = putString(out, "Transfer-Encoding: chunked\r\n");
    } else mode = MODE_CLOSE;
  }
  if (mode != MODE_NONE && (flags & L.F_HEAD)) mode = MODE_NONE;

  const keepAlive = (flags & L.F_KEEP_ALIVE) != 0 && !appClose && mode != MODE_CLOSE &&
    (<u32>get(conn, CONN_FLAGS) & C_CLOSE_AFTER) == 0;
  if (!keepAlive) out = putString(out, "Connection: close\r\n");
  else if (!http11) out = putString(out, "Connection: keep-alive\r\n");
  putCRLF();

  set(conn, RESP_FLAGS, keepAlive ? 0 : RF_CLOSE);
  responseMode = mode;
  responseLength = length;
  return <i32>(out - L.scratchOut);
}

/** Whether the list `v` has the element `token` (not empty), compared case-insensitively. */
function hasToken(v: usize, len: i32, token: string): bool {
  const end = v + len;
  let p = v;
  do {
    p = nextElement(p, end);
    if (equalsLower(elementStart, elementLength, token)) return true;
  } while (p <= end);
  return false;
}

/** Writes a complete error response for `code` into scratchOut (always Connection: close). */
export function serializeError(conn: i32, code: i32, now: u32): i32 {
  const status = E.errorStatus(code);
  const reason = E.errorReason(code);
  const phrase = E.statusPhrase(status);
  // A HEAD request gets no content, even when its head failed to parse.
  const head = conn >= 0 && ((<u32>get(conn, FLAGS) & L.F_HEAD) != 0 || hasWindow(conn) && equals(windowOf(conn) + get(conn, HEAD_START), 5, "HEAD "));
  out = L.scratchOut;
  out = putString(out, "HTTP/1.1 ");
  putDecimal(<u64>status);
  store<u8>(out++, <u8>SP);
  out = putString(out, phrase);
  putCRLF();
  out = putString(out, "Date: ");
  putBytes(httpDate(now), 29);
  putCRLF();
  out = putString(out, "Server: wasgi\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  putDecimal(<u64>(reason.length + 1));
  out = putString(out, "\r\nConnection: close\r\n\r\n");
  if (!head) {
    out = putString(out, reason);
    store<u8>(out++, <u8>LF);
  }
  if (conn >= 0) set(conn, RESP_FLAGS, RF_CLOSE);
  return <i32>(out - L.scratchOut);
}
