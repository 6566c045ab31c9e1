// The environ's rules for header fields, as the server's environ applies them (src/environ.ts),
// for the WASI builds that write environs without the server: the key of a name, the names that
// have none, and how the values of a repeated field are joined.

import { FIELD_NAME, fieldAt, fieldCount, spanAt, spanLength } from "./request";

const HTTP_PREFIX = "HTTP_";

/** The key's character for a name's: upper case, "-" as "_". */
function keyChar(c: u32): u32 {
  return c == 0x2d ? 0x5f : c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
}

/** Whether the name's key, without the prefix, is `key`. */
function keyIs(p: usize, len: i32, key: string): bool {
  if (len != key.length) return false;
  for (let i = 0; i < len; i++) if (keyChar(load<u8>(p + <usize>i)) != <u32>key.charCodeAt(i)) return false;
  return true;
}

function sameKey(a: usize, aLen: i32, b: usize, bLen: i32): bool {
  if (aLen != bLen) return false;
  for (let i = 0; i < aLen; i++) if (keyChar(load<u8>(a + <usize>i)) != keyChar(load<u8>(b + <usize>i))) return false;
  return true;
}

/** Names with "_" have no key: "X_Y" and "X-Y" would both be HTTP_X_Y. */
function hasKey(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) == 0x5f) return false;
  return true;
}

/** Whether field `j` of the request copy `r` has a key, and it is the one field `i`'s name gives. */
function sharesKey(r: usize, i: i32, j: i32): bool {
  const a = fieldAt(r, i) + FIELD_NAME, b = fieldAt(r, j) + FIELD_NAME;
  return hasKey(spanAt(b), spanLength(b)) && sameKey(spanAt(a), spanLength(a), spanAt(b), spanLength(b));
}

/** Whether field `i` of the request copy `r` has a key and is the first field with it. */
export function opensKey(r: usize, i: i32): bool {
  const f = fieldAt(r, i) + FIELD_NAME;
  if (!hasKey(spanAt(f), spanLength(f))) return false;
  for (let j = 0; j < i; j++) if (sharesKey(r, i, j)) return false;
  return true;
}

/** The next field after `after` whose value joins field `i`'s under its key, or -1. */
export function nextOfKey(r: usize, i: i32, after: i32): i32 {
  const count = fieldCount(r);
  for (let j = after + 1; j < count; j++) if (sharesKey(r, i, j)) return j;
  return -1;
}

/** What joins the values under field `i`'s key: "; " for HTTP_COOKIE, ", " for any other. */
export function joinerOf(r: usize, i: i32): string {
  const f = fieldAt(r, i) + FIELD_NAME;
  return keyIs(spanAt(f), spanLength(f), "COOKIE") ? "; " : ", ";
}

/** The most bytes keyOf writes for field `i`. */
export function keyLength(r: usize, i: i32): i32 { return spanLength(fieldAt(r, i) + FIELD_NAME) + HTTP_PREFIX.length; }

/**
 * Writes field `i`'s key at `dst` (ASCII, as header names are tokens): CONTENT_TYPE and
 * CONTENT_LENGTH as they are, any other with the prefix HTTP_. Returns the end.
 */
export function keyOf(dst: usize, r: usize, i: i32): usize {
  const f = fieldAt(r, i) + FIELD_NAME;
  const name = spanAt(f), len = spanLength(f);
  if (!keyIs(name, len, "CONTENT_TYPE") && !keyIs(name, len, "CONTENT_LENGTH")) {
    for (let k = 0; k < HTTP_PREFIX.length; k++) store<u8>(dst++, <u8>HTTP_PREFIX.charCodeAt(k));
  }
  for (let k = 0; k < len; k++) store<u8>(dst++, <u8>keyChar(load<u8>(name + <usize>k)));
  return dst;
}
