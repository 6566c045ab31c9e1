// Byte classes for the request grammar (RFC 9110 §5.6, RFC 9112 §3), one table lookup per byte.
// Tokens, field values and request-targets are scanned sixteen bytes at a time instead (scan.ts).

export const HEX: u8 = 8;
export const DIGIT: u8 = 16;
export const SCHEME: u8 = 32;    // ALPHA / DIGIT / "+" / "-" / "."
export const HOSTCHAR: u8 = 64;  // reg-name, IPv4 and IP-literal bytes of a Host value

const CLASS = memory.data(256);

export const CR: u32 = 13;
export const LF: u32 = 10;
export const SP: u32 = 32;
export const HTAB: u32 = 9;

function mark(from: u32, to: u32, cls: u8): void {
  for (let c = from; c <= to; c++) store<u8>(CLASS + c, load<u8>(CLASS + c) | cls);
}

function markEach(chars: string, cls: u8): void {
  for (let i = 0; i < chars.length; i++) mark(chars.charCodeAt(i), chars.charCodeAt(i), cls);
}

export function initChars(): void {
  mark(0x30, 0x39, HEX | DIGIT | SCHEME | HOSTCHAR);
  mark(0x41, 0x5a, SCHEME | HOSTCHAR);
  mark(0x61, 0x7a, SCHEME | HOSTCHAR);
  mark(0x41, 0x46, HEX);
  mark(0x61, 0x66, HEX);
  markEach("+-.", SCHEME);
  markEach("-._~!$&'()*+,;=%:[]", HOSTCHAR);
}

// @ts-ignore: decorator
@inline export function is(c: u32, cls: u8): bool {
  return (load<u8>(CLASS + c) & cls) != 0;
}

// @ts-ignore: decorator
@inline export function lower(c: u32): u32 {
  return c - 0x41 < 26 ? c | 0x20 : c;
}

// @ts-ignore: decorator
@inline export function hexValue(c: u32): u32 {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

// Literals are UTF-16 in static memory: their code units are read directly, no bounds checks.

/** Case-insensitive comparison of `len` bytes at `p` with an ASCII lowercase literal. */
export function equalsLower(p: usize, len: i32, literal: string): bool {
  if (len != literal.length) return false;
  const units = changetype<usize>(literal);
  for (let i = 0; i < len; i++) {
    if (lower(load<u8>(p + i)) != <u32>load<u16>(units + (<usize>i << 1))) return false;
  }
  return true;
}

/** Case-sensitive comparison of `len` bytes at `p` with an ASCII literal. */
export function equals(p: usize, len: i32, literal: string): bool {
  if (len != literal.length) return false;
  const units = changetype<usize>(literal);
  for (let i = 0; i < len; i++) {
    if (<u32>load<u8>(p + i) != <u32>load<u16>(units + (<usize>i << 1))) return false;
  }
  return true;
}

/** Copies an ASCII literal to `dst` as bytes; returns the byte after it. */
export function putString(dst: usize, s: string): usize {
  for (let i = 0; i < s.length; i++) store<u8>(dst + i, <u8>s.charCodeAt(i));
  return dst + s.length;
}
