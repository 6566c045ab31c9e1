// JSON text, buffered in the region and flushed to stdout: the command's output. Strings are
// UTF-8 (./utf8.ts) with JSON's escapes, so each line parses whatever bytes the request held.

import { alloc } from "./region";
import { write } from "./stdio";
import { putUtf8, MAX_UTF8 } from "./utf8";

const OUT_SIZE: i32 = 65536;

let out: usize = 0;
let outLen: i32 = 0;

/** Takes the output buffer from the region. */
export function startOutput(): void { out = alloc(<usize>OUT_SIZE, 64); }

/** Writes what is buffered to stdout. */
export function flush(): void {
  write(out, outLen);
  outLen = 0;
}

/** Room for `n` more bytes (at most 64 KiB): where they go; `wrote(end)` then counts them. */
export function room(n: i32): usize {
  if (outLen + n > OUT_SIZE) flush();
  return out + <usize>outLen;
}
export function wrote(end: usize): void { outLen = <i32>(end - out); }

/** One byte as it is (punctuation, ASCII). */
// @ts-ignore: decorator
@inline export function byte(c: u32): void {
  if (outLen == OUT_SIZE) flush();
  store<u8>(out + <usize>(outLen++), <u8>c);
}

/** ASCII text as it is. */
export function ascii(s: string): void {
  for (let i = 0; i < s.length; i++) byte(<u32>s.charCodeAt(i));
}

function hexDigit(v: u32): u32 { return v < 10 ? 0x30 + v : 0x57 + v; }

/** One UTF-16 code unit inside a JSON string. */
function char(c: u32): void {
  if (c == 0x22 || c == 0x5c) { byte(0x5c); byte(c); }
  else if (c >= 0x20 && c < 0x80) byte(c);
  else if (c >= 0x80) wrote(putUtf8(room(MAX_UTF8), c));
  else if (c == 0x08) { byte(0x5c); byte(0x62); }
  else if (c == 0x09) { byte(0x5c); byte(0x74); }
  else if (c == 0x0a) { byte(0x5c); byte(0x6e); }
  else if (c == 0x0c) { byte(0x5c); byte(0x66); }
  else if (c == 0x0d) { byte(0x5c); byte(0x72); }
  else { ascii("\\u00"); byte(hexDigit(c >> 4)); byte(hexDigit(c & 15)); }
}

/** Latin-1 bytes as the inside of a JSON string. */
export function latin1Chars(p: usize, len: i32): void {
  for (let i = 0; i < len; i++) char(<u32>load<u8>(p + <usize>i));
}

/** Latin-1 bytes as a JSON string. */
export function latin1String(p: usize, len: i32): void {
  byte(0x22); latin1Chars(p, len); byte(0x22);
}

/** Text as a JSON string. */
export function textString(s: string): void {
  byte(0x22);
  for (let i = 0; i < s.length; i++) char(<u32>s.charCodeAt(i));
  byte(0x22);
}

/** An object's key (ASCII, nothing to escape) and its colon. */
export function key(s: string): void {
  byte(0x22); ascii(s); ascii("\":");
}

export function decimal(v: u64): void {
  if (v >= 10) decimal(v / 10);
  byte(<u32>(0x30 + v % 10));
}

function b64(v: u32): u32 {
  return v < 26 ? 0x41 + v : v < 52 ? 0x47 + v : v < 62 ? v - 4 : v == 62 ? 0x2b : 0x2f;
}

/** Bytes as a JSON string of their base64. */
export function base64(p: usize, len: i32): void {
  byte(0x22);
  let i = 0;
  for (; i + 3 <= len; i += 3) {
    const v = (<u32>load<u8>(p + <usize>i) << 16) | (<u32>load<u8>(p + <usize>i + 1) << 8) | <u32>load<u8>(p + <usize>i + 2);
    byte(b64(v >> 18)); byte(b64((v >> 12) & 63)); byte(b64((v >> 6) & 63)); byte(b64(v & 63));
  }
  if (len - i == 1) {
    const v = <u32>load<u8>(p + <usize>i) << 16;
    byte(b64(v >> 18)); byte(b64((v >> 12) & 63)); byte(0x3d); byte(0x3d);
  } else if (len - i == 2) {
    const v = (<u32>load<u8>(p + <usize>i) << 16) | (<u32>load<u8>(p + <usize>i + 1) << 8);
    byte(b64(v >> 18)); byte(b64((v >> 12) & 63)); byte(b64((v >> 6) & 63)); byte(0x3d);
  }
  byte(0x22);
}
