// Request body framing: Content-Length and chunked (RFC 9112 §6, §7.1). Chunked data is decoded
// in place: data bytes move down over the chunk framing, so the decoded body is one contiguous
// span [SPAN, WR) of the window that the host copies out once.

import { is, HEX, CR, LF, SEMICOLON, EQUALS, DQUOTE, BACKSLASH, VCHAR_FIRST, DEL, hexValue, isWSP, skipOWS } from "./chars";
import { findNonToken } from "./scan";
import * as E from "./errors";
import * as L from "./layout";
import { get, set, get64, set64, FILL, POS, WR, BODY_MODE, CHUNK_STATE, REMAIN, BODY_TOTAL, TRAILERS,
  BODY_LENGTH, CS_SIZE, CS_DATA, CS_DATA_END, CS_TRAILER } from "./conn";
import { parseFieldLine, findLF, NEED_MORE } from "./parser";

export const BODY_DONE = 1;

/**
 * Consumes body bytes from POS. Decoded bytes are written at WR (unless draining).
 * Returns BODY_DONE, NEED_MORE or a negated error code.
 */
export function consumeBody(conn: i32, win: usize, draining: bool): i32 {
  const fill = get(conn, FILL);
  let pos = get(conn, POS);
  let wr = get(conn, WR);
  if (get(conn, BODY_MODE) == BODY_LENGTH) {
    const remain = get64(conn, REMAIN);
    const n = <i32>min<u64>(remain, <u64>(fill - pos));
    if (!draining && wr != pos) memory.copy(win + wr, win + pos, n);
    set(conn, POS, pos + n);
    set(conn, WR, wr + n);
    set64(conn, REMAIN, remain - n);
    return remain == <u64>n ? BODY_DONE : NEED_MORE;
  }
  let result = NEED_MORE;
  while (pos < fill) {
    const state = get(conn, CHUNK_STATE);
    if (state == CS_DATA) {
      const remain = get64(conn, REMAIN);
      const n = <i32>min<u64>(remain, <u64>(fill - pos));
      if (!draining) {
        if (wr != pos) memory.copy(win + wr, win + pos, n);
        wr += n;
      }
      pos += n;
      set64(conn, REMAIN, remain - n);
      if (remain == <u64>n) set(conn, CHUNK_STATE, CS_DATA_END);
      continue;
    }
    if (state == CS_DATA_END) {
      if (load<u8>(win + pos) != CR) { result = -E.E_CHUNK_DATA_END; break; }
      if (pos + 1 == fill) break;
      if (load<u8>(win + pos + 1) != LF) { result = -E.E_CHUNK_DATA_END; break; }
      pos += 2;
      set(conn, CHUNK_STATE, CS_SIZE);
      continue;
    }
    // Size lines and trailer lines are parsed whole.
    const lf = <i32>(findLF(win + pos, win + fill) - win);
    if (lf == fill) {
      if (fill - pos > L.limitRequestFieldSize) result = state == CS_SIZE ? -E.E_CHUNK_EXTENSION : -E.E_FIELD_TOO_LONG;
      break;
    }
    if (lf == pos || load<u8>(win + lf - 1) != CR) {
      result = state == CS_SIZE ? -E.E_CHUNK_LINE_END : -E.E_BARE_LF;
      break;
    }
    if (lf - 1 - pos > L.limitRequestFieldSize) { result = state == CS_SIZE ? -E.E_CHUNK_EXTENSION : -E.E_FIELD_TOO_LONG; break; }
    if (state == CS_SIZE) {
      const e = chunkSizeLine(conn, win + pos, win + lf - 1);
      if (e != E.OK) { result = -e; break; }
    } else {
      // CS_TRAILER: a blank line ends the message; other lines must be valid fields.
      if (lf - 1 == pos) { pos = lf + 1; result = BODY_DONE; break; }
      const e = parseFieldLine(win + pos, win + lf - 1);
      if (e != E.OK) { result = e == E.E_BARE_CR ? -E.E_BARE_CR : -E.E_TRAILER; break; }
      const n = get(conn, TRAILERS) + 1;
      if (n > L.limitRequestFields) { result = -E.E_TOO_MANY_FIELDS; break; }
      set(conn, TRAILERS, n);
    }
    pos = lf + 1;
  }
  set(conn, POS, pos);
  set(conn, WR, wr);
  return result;
}

/** chunk-size [ chunk-ext ]: 1-16 hex digits, then `*( BWS ";" BWS name [ BWS "=" BWS value ] )`. */
function chunkSizeLine(conn: i32, p: usize, end: usize): i32 {
  const start = p;
  let size: u64 = 0;
  while (p < end && is(load<u8>(p), HEX)) {
    size = (size << 4) | hexValue(load<u8>(p));
    p++;
  }
  const digits = <i32>(p - start);
  if (digits == 0 || digits > 16) return E.E_CHUNK_SIZE;
  while (p < end) {
    p = skipOWS(p, end);
    if (p == end || load<u8>(p) != SEMICOLON) return p == start + digits ? E.E_CHUNK_SIZE : E.E_CHUNK_EXTENSION;
    p = skipOWS(p + 1, end);
    const name = p;
    p = findNonToken(p, end);
    if (p == name) return E.E_CHUNK_EXTENSION;
    const afterName = p;
    p = skipOWS(p, end);
    if (p < end && load<u8>(p) == EQUALS) {
      p = skipOWS(p + 1, end);
      if (p < end && load<u8>(p) == DQUOTE) {
        p = quotedString(p, end);
        if (p == 0) return E.E_CHUNK_EXTENSION;
      } else {
        const value = p;
        p = findNonToken(p, end);
        if (p == value) return E.E_CHUNK_EXTENSION;
      }
    } else {
      p = afterName;
    }
  }
  if (size == 0) {
    set(conn, CHUNK_STATE, CS_TRAILER);
    return E.OK;
  }
  const total = get64(conn, BODY_TOTAL);
  if (size > L.maxBodySize || total + size > L.maxBodySize) return E.E_BODY_TOO_LARGE;
  set64(conn, BODY_TOTAL, total + size);
  set64(conn, REMAIN, size);
  set(conn, CHUNK_STATE, CS_DATA);
  return E.OK;
}

/**
 * quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4); returns the byte
 * after it, or 0.
 */
function quotedString(p: usize, end: usize): usize {
  p++;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c == DQUOTE) return p + 1;
    if (c == BACKSLASH) {
      // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      p++;
      if (p == end || !quotable(load<u8>(p))) return 0;
    } else if (!quotable(c)) {
      // qdtext: the same bytes less DQUOTE and "\", which are taken above
      return 0;
    }
    p++;
  }
  return 0;
}

/** HTAB / SP / VCHAR / obs-text. */
// @ts-ignore: decorator
@inline function quotable(c: u32): bool {
  return isWSP(c) || (c >= VCHAR_FIRST && c != DEL);
}
