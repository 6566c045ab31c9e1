// The request head parser. Strategy: bytes are scanned once as they arrive to find where the head
// ends (and to enforce the line and size limits early); once the head is whole it is parsed in a
// single pass of named steps that write the request record. Strict by default: anything on which
// two parsers could disagree is an error with its own code.

import { is, lower, equals, equalsLower, hexValue, HEX, DIGIT, SCHEME, HOSTCHAR, CR, LF, SP, COLON, DOT, SLASH,
  ASTERISK, QUESTION, PERCENT, LBRACKET, RBRACKET, LOWER_V, DIGIT_0, DIGIT_1, UPPER_A, LOWER_A, HTTP_NAME, isWSP, skipOWS,
  trimOWS, nextElement, elementStart, elementLength } from "./chars";
import * as E from "./errors";
import * as L from "./layout";
import { get, set, set64, FILL, SCAN, LINE_START, LINES, HEAD_START, FLAGS, BODY_MODE, REMAIN, BODY_LENGTH, BODY_CHUNKED, POS } from "./conn";
import { recordOf } from "./windows";
import { findByte, findNonToken, findNonValue, findNonVisible, lineFeeds } from "./scan";
import { internName, N_HOST, N_CONTENT_LENGTH, N_TRANSFER_ENCODING, N_CONNECTION, N_EXPECT } from "./fieldnames";

/** Result of scanHead when the head is not complete yet. */
export const NEED_MORE = 0;

/**
 * Looks for the end of the head in the bytes that arrived since the last scan. Returns the
 * window offset just past the blank line, NEED_MORE, or a negated error code.
 */
export function scanHead(conn: i32, win: usize): i32 {
  const fill = get(conn, FILL);
  let i = get(conn, SCAN);
  let lineStart = get(conn, LINE_START);
  let lines = get(conn, LINES);
  while (i < fill) {
    // The line feeds among the next 16 bytes, then each line they end.
    let feeds = lineFeeds(win + i);
    if (fill - i < 16) feeds &= (1 << (fill - i)) - 1;
    while (feeds != 0) {
      const lf = i + ctz(feeds);
      feeds &= feeds - 1;
      if (lf == lineStart || load<u8>(win + lf - 1) != CR) return -E.E_BARE_LF;
      const len = lf - 1 - lineStart;
      if (len == 0) {
        if (lines > 0) {
          if (lf + 1 - get(conn, HEAD_START) > L.limitRequestHead) return -E.E_HEAD_TOO_LARGE;
          set(conn, SCAN, lf + 1);
          return lf + 1;
        }
        // Empty lines before the request line are skipped (RFC 9112 §2.2).
        set(conn, HEAD_START, lf + 1);
        set(conn, POS, lf + 1);
      } else if (lines == 0) {
        if (len > L.limitRequestLine) return -E.E_REQUEST_LINE_TOO_LONG;
        lines = 1;
      } else {
        if (len > L.limitRequestFieldSize) return -E.E_FIELD_TOO_LONG;
        if (lines > L.limitRequestFields) return -E.E_TOO_MANY_FIELDS;
        lines++;
      }
      lineStart = lf + 1;
    }
    i = min(i + 16, fill);
  }
  set(conn, SCAN, i);
  set(conn, LINE_START, lineStart);
  set(conn, LINES, lines);
  // Refuse early: a partial line already past its limit will not get shorter.
  const partial = fill - lineStart;
  if (lines == 0 && partial > L.limitRequestLine + 1) return -E.E_REQUEST_LINE_TOO_LONG;
  if (lines > 0 && partial > L.limitRequestFieldSize + 1) return -E.E_FIELD_TOO_LONG;
  if (fill - get(conn, HEAD_START) > L.limitRequestHead) return -E.E_HEAD_TOO_LARGE;
  return NEED_MORE;
}

// Spans of the last field line parsed (absolute addresses).
export let fieldName: usize = 0;
export let fieldNameLen: i32 = 0;
export let fieldValue: usize = 0;
export let fieldValueLen: i32 = 0;

/**
 * Parses one field line `name ":" OWS value OWS` that ends with CRLF at `end` (the CR).
 * Shared by header fields and chunked trailers. Returns OK or an error code.
 */
export function parseFieldLine(p: usize, end: usize): i32 {
  let c = <u32>load<u8>(p);
  if (isWSP(c)) return E.E_OBS_FOLD;
  const name = p;
  p = findNonToken(p, end);
  if (p == end) return E.E_FIELD_NO_COLON;
  c = load<u8>(p);
  if (c != COLON) {
    if (isWSP(c)) {
      // "Name :" is an error of its own; "Na me:" is a bad name.
      const q = skipOWS(p, end);
      if (q < end && load<u8>(q) == COLON && p > name) return E.E_FIELD_SPACE_BEFORE_COLON;
    }
    return E.E_FIELD_NAME;
  }
  if (p == name) return E.E_FIELD_NAME;
  fieldName = name;
  fieldNameLen = <i32>(p - name);
  const value = skipOWS(p + 1, end);
  p = value;
  p = findNonValue(p, end);
  if (p < end) return load<u8>(p) == CR ? E.E_BARE_CR : E.E_FIELD_VALUE;
  p = trimOWS(value, p);
  fieldValue = value;
  fieldValueLen = <i32>(p - value);
  return E.OK;
}

/** Finds the next LF in [p, end); returns end when there is none. */
// @ts-ignore: decorator
@inline export function findLF(p: usize, end: usize): usize {
  return findByte(p, end, <u8>LF);
}

const ROOT_PATH = memory.data<u8>([<u8>SLASH]);

// Framing facts gathered while reading the fields.
let hostCount = 0;
let contentLengthCount = 0;
let contentLength: u64 = 0;
let teCount = 0;
let teChunked = 0;
let teLastChunked = false;
let teOther = false;
let connClose = false;
let connKeepAlive = false;
let expectContinue = false;
let pathPercent = false;

/**
 * Parses the whole head at window offsets [HEAD_START, headEnd) into the connection's record.
 * Returns OK or an error code. On OK, POS is set past the head and the body framing is known.
 */
export function parseHead(conn: i32, win: usize, headEnd: i32): i32 {
  const rec = recordOf(conn);
  let p = win + get(conn, HEAD_START);
  const end = win + headEnd;
  setSpan(rec, L.REC_HEAD, p, <i32>(end - p));
  let flags: u32 = 0;

  // method SP
  const method = p;
  p = findNonToken(p, end);
  if (p == method) return load<u8>(p) == SP ? E.E_REQUEST_LINE : E.E_METHOD;
  if (load<u8>(p) != SP) return load<u8>(p) == CR ? E.E_REQUEST_LINE : E.E_METHOD;
  const methodLen = <i32>(p - method);
  p++;

  // request-target SP
  const target = p;
  p = findNonVisible(p, end);
  if (p == target) return load<u8>(p) == SP ? E.E_REQUEST_LINE : E.E_TARGET;
  if (load<u8>(p) != SP) return load<u8>(p) == CR ? E.E_REQUEST_LINE : E.E_TARGET;
  const targetLen = <i32>(p - target);
  p++;

  // HTTP-version CRLF: HTTP-name "/" DIGIT "." DIGIT
  if (load<u32>(p) != HTTP_NAME || load<u8>(p + 4) != SLASH || !is(load<u8>(p + 5), DIGIT) || load<u8>(p + 6) != DOT ||
      !is(load<u8>(p + 7), DIGIT) || load<u8>(p + 8) != CR || load<u8>(p + 9) != LF) {
    return E.E_VERSION;
  }
  if (load<u8>(p + 5) != DIGIT_1) return E.E_VERSION_UNSUPPORTED;
  if (load<u8>(p + 7) != DIGIT_0) flags |= L.F_HTTP11;
  p += 10;

  pathPercent = false;
  const err = splitTarget(rec, method, methodLen, target, targetLen);
  if (err != E.OK) return err;
  if (pathPercent) flags |= L.F_PERCENT;
  if (equals(method, methodLen, "HEAD")) flags |= L.F_HEAD;

  // field lines
  hostCount = 0; contentLengthCount = 0; contentLength = 0;
  teCount = 0; teChunked = 0; teLastChunked = false; teOther = false;
  connClose = false; connKeepAlive = false; expectContinue = false;
  let count = 0;
  let field = rec + (<usize>L.REC_FIELDS << 2);
  const last = end - 2;
  while (p < last) {
    const cr = findLF(p, last) - 1;
    const e = parseFieldLine(p, cr);
    if (e != E.OK) return e;
    const id = internName(fieldName, fieldNameLen);
    store<u32>(field, id);
    store<u32>(field + 4, <u32>fieldName);
    store<u32>(field + 8, fieldNameLen);
    store<u32>(field + 12, <u32>fieldValue);
    store<u32>(field + 16, fieldValueLen);
    field += L.FIELD_WORDS << 2;
    count++;
    if (id != 0 && id <= N_EXPECT) {
      const fe = framingField(rec, id, fieldValue, fieldValueLen);
      if (fe != E.OK) return fe;
    }
    p = cr + 2;
  }
  store<u32>(rec + (L.REC_FIELD_COUNT << 2), count);

  if (flags & L.F_HTTP11) {
    if (hostCount == 0) return E.E_HOST_MISSING;
  }
  if (teCount > 0) {
    if (contentLengthCount > 0) return E.E_CONTENT_LENGTH_WITH_TE;
    if (!(flags & L.F_HTTP11)) return E.E_TE_HTTP10;
    if (!teLastChunked) return E.E_TE_NOT_CHUNKED;
    if (teOther) return E.E_TE_UNSUPPORTED;
    flags |= L.F_CHUNKED | L.F_HAS_BODY;
    set(conn, BODY_MODE, BODY_CHUNKED);
  } else if (contentLength > 0) {
    flags |= L.F_HAS_BODY;
    set(conn, BODY_MODE, BODY_LENGTH);
    set64(conn, REMAIN, contentLength);
  }
  if (flags & L.F_HTTP11 ? !connClose : connKeepAlive && !connClose) flags |= L.F_KEEP_ALIVE;
  if (expectContinue) flags |= L.F_EXPECT_CONTINUE;
  set(conn, FLAGS, flags);
  store<u32>(rec + (L.REC_FLAGS << 2), flags);
  set(conn, POS, headEnd);
  return E.OK;
}

/** Reads the fields that decide framing and persistence. */
function framingField(rec: usize, id: i32, v: usize, len: i32): i32 {
  switch (id) {
    case N_HOST: {
      if (++hostCount > 1) return E.E_HOST_REPEATED;
      return validHost(v, len) ? E.OK : E.E_HOST_INVALID;
    }
    case N_CONTENT_LENGTH: {
      if (++contentLengthCount > 1) return E.E_CONTENT_LENGTH_REPEATED;
      if (len == 0 || len > 15) return E.E_CONTENT_LENGTH;
      let n: u64 = 0;
      for (let i = 0; i < len; i++) {
        const c = <u32>load<u8>(v + i);
        if (!is(c, DIGIT)) return E.E_CONTENT_LENGTH;
        n = n * 10 + (c - DIGIT_0);
      }
      if (n > L.maxBodySize) return E.E_BODY_TOO_LARGE;
      contentLength = n;
      store<u32>(rec + (L.REC_CONTENT_LENGTH << 2), <u32>v);
      store<u32>(rec + ((L.REC_CONTENT_LENGTH + 1) << 2), len);
      return E.OK;
    }
    case N_TRANSFER_ENCODING: {
      teCount++;
      return eachToken(v, len, true);
    }
    case N_CONNECTION: {
      return eachToken(v, len, false);
    }
    case N_EXPECT: {
      if (!equalsLower(v, len, "100-continue")) return E.E_EXPECT;
      expectContinue = true;
      return E.OK;
    }
  }
  return E.OK;
}

/** Reads a list of tokens (Transfer-Encoding codings or Connection options). */
function eachToken(v: usize, len: i32, coding: bool): i32 {
  const end = v + len;
  let p = v;
  do {
    p = nextElement(p, end);
    const t = elementStart;
    const tlen = elementLength;
    if (coding) {
      if (tlen == 0) return E.E_TE_NOT_CHUNKED;
      if (equalsLower(t, tlen, "chunked")) {
        if (++teChunked > 1) return E.E_TE_CHUNKED_TWICE;
        teLastChunked = true;
      } else {
        if (teChunked > 0) teLastChunked = false;
        teOther = true;
      }
    } else if (equalsLower(t, tlen, "close")) {
      connClose = true;
    } else if (equalsLower(t, tlen, "keep-alive")) {
      connKeepAlive = true;
    }
  } while (p <= end);
  return E.OK;
}

/** Host = uri-host [ ":" port ]; an empty value is allowed (RFC 9112 §3.2). */
function validHost(v: usize, len: i32): bool {
  if (len == 0) return true;
  let p = v;
  const end = v + len;
  if (load<u8>(p) == LBRACKET) { // IP-literal
    while (p < end && load<u8>(p) != RBRACKET) {
      const c = <u32>load<u8>(p);
      if (!is(c, HEX) && c != COLON && c != DOT && c != LBRACKET && lower(c) != LOWER_V) return false;
      p++;
    }
    if (p == end) return false;
    p++;
  } else {
    while (p < end && load<u8>(p) != COLON) {
      const c = <u32>load<u8>(p);
      if (!is(c, HOSTCHAR) || c == LBRACKET || c == RBRACKET) return false;
      p++;
    }
  }
  if (p == end) return true;
  if (load<u8>(p) != COLON) return false;
  p++;
  while (p < end) {
    if (!is(load<u8>(p), DIGIT)) return false;
    p++;
  }
  return true;
}

/** authority-form needs an explicit port: the host, ":", then at least one digit. */
function hasPort(v: usize, len: i32): bool {
  let p = v + len;
  while (p > v && is(load<u8>(p - 1), DIGIT)) p--;
  return p < v + len && p > v + 1 && load<u8>(p - 1) == COLON;
}

/** Splits the request-target into path and query by its form (RFC 9112 §3.2). */
function splitTarget(rec: usize, method: usize, methodLen: i32, t: usize, len: i32): i32 {
  store<u32>(rec + (L.REC_METHOD << 2), <u32>method);
  store<u32>(rec + ((L.REC_METHOD + 1) << 2), methodLen);
  store<u32>(rec + (L.REC_TARGET << 2), <u32>t);
  store<u32>(rec + ((L.REC_TARGET + 1) << 2), len);
  store<u32>(rec + (L.REC_CONTENT_LENGTH << 2), 0);
  store<u32>(rec + ((L.REC_CONTENT_LENGTH + 1) << 2), 0);
  const end = t + len;
  const isConnect = equals(method, methodLen, "CONNECT");
  let path = t;
  const first = <u32>load<u8>(t);
  if (isConnect) {
    // authority-form only
    if (first == SLASH || first == ASTERISK || !validHost(t, len) || !hasPort(t, len)) return E.E_TARGET_FORM;
    setSpan(rec, L.REC_PATH, t, 0);
    setSpan(rec, L.REC_QUERY, end, 0);
    return E.OK;
  }
  if (first == ASTERISK && len == 1) {
    if (!equals(method, methodLen, "OPTIONS")) return E.E_TARGET_FORM;
    // PATH_INFO must be empty or start with "/" (PEP 3333); RAW_URI keeps the "*".
    setSpan(rec, L.REC_PATH, t, 0);
    setSpan(rec, L.REC_QUERY, end, 0);
    return E.OK;
  }
  if (first != SLASH) {
    // absolute-form: scheme "://" authority path-abempty [ "?" query ]
    let p = t;
    if (!(first - UPPER_A < 26 || first - LOWER_A < 26)) return E.E_TARGET;
    while (p < end && is(load<u8>(p), SCHEME)) p++;
    if (p + 3 > end || load<u8>(p) != COLON || load<u8>(p + 1) != SLASH || load<u8>(p + 2) != SLASH) return E.E_TARGET;
    p += 3;
    const authority = p;
    while (p < end && load<u8>(p) != SLASH && load<u8>(p) != QUESTION) p++;
    // authority = host [ ":" port ], with a non-empty host (RFC 9110 §4.2.1); no userinfo.
    if (p == authority || load<u8>(authority) == COLON || !validHost(authority, <i32>(p - authority))) return E.E_TARGET;
    path = p;
  }
  const q = findByte(path, end, <u8>QUESTION);
  if (q == path) setSpan(rec, L.REC_PATH, ROOT_PATH, 1);
  else setSpan(rec, L.REC_PATH, path, <i32>(q - path));
  if (q < end) setSpan(rec, L.REC_QUERY, q + 1, <i32>(end - q - 1));
  else setSpan(rec, L.REC_QUERY, end, 0);
  // Percent-encoding must be well formed; decoding waits until the host asks (decodePath).
  for (let p = findByte(path, q, <u8>PERCENT); p < q; p = findByte(p + 3, q, <u8>PERCENT)) {
    if (p + 2 >= q || !is(load<u8>(p + 1), HEX) || !is(load<u8>(p + 2), HEX)) return E.E_PERCENT;
    pathPercent = true;
  }
  return E.OK;
}

// @ts-ignore: decorator
@inline function setSpan(rec: usize, word: i32, p: usize, len: i32): void {
  store<u32>(rec + (<usize>word << 2), <u32>p);
  store<u32>(rec + (<usize>(word + 1) << 2), len);
}

/** Percent-decodes a path (already validated) into `dst`; returns the decoded length. */
export function percentDecode(src: usize, len: i32, dst: usize): i32 {
  let o = dst;
  const end = src + len;
  let p = src;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c == PERCENT) {
      store<u8>(o++, <u8>((hexValue(load<u8>(p + 1)) << 4) | hexValue(load<u8>(p + 2))));
      p += 3;
    } else {
      store<u8>(o++, <u8>c);
      p++;
    }
  }
  return <i32>(o - dst);
}
