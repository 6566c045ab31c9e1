// The HTTP grammar's bytes, byte classes and shared rules (RFC 9110 §5.6, RFC 9112 §2-3), each
// named once here: the rest of the core (parser.ts, body.ts, response.ts, scan.ts, date.ts, ...)
// uses the names, not numbers. A class is one table lookup per byte; tokens, field values and
// request-targets are scanned sixteen bytes at a time instead (scan.ts).

// Grammar bytes (RFC 5234 §B.1 core rules, RFC 9110 §5.6 delimiters).
export const HTAB: u32 = 0x09;
export const LF: u32 = 0x0a;
export const CR: u32 = 0x0d;
export const SP: u32 = 0x20;
export const DQUOTE: u32 = 0x22;
export const PERCENT: u32 = 0x25;     // "%" pct-encoded
export const ASTERISK: u32 = 0x2a;    // "*" asterisk-form
export const COMMA: u32 = 0x2c;       // "," list elements (#rule)
export const DOT: u32 = 0x2e;         // "." HTTP-version, IPv4 and IPvFuture
export const SLASH: u32 = 0x2f;       // "/" path segments, HTTP-name "/"
export const COLON: u32 = 0x3a;       // ":" field line, port, scheme
export const SEMICOLON: u32 = 0x3b;   // ";" chunk-ext
export const EQUALS: u32 = 0x3d;      // "=" chunk-ext value
export const QUESTION: u32 = 0x3f;    // "?" query
export const LBRACKET: u32 = 0x5b;    // "[" IP-literal
export const BACKSLASH: u32 = 0x5c;   // "\" quoted-pair
export const RBRACKET: u32 = 0x5d;    // "]" IP-literal
export const LOWER_V: u32 = 0x76;     // "v" IPvFuture
export const DIGIT_0: u32 = 0x30;
export const DIGIT_1: u32 = 0x31;
export const DIGIT_9: u32 = 0x39;
export const UPPER_A: u32 = 0x41;
export const LOWER_A: u32 = 0x61;
export const VCHAR_FIRST: u32 = 0x21; // VCHAR = %x21-7E
export const VCHAR_LAST: u32 = 0x7e;
export const DEL: u32 = 0x7f;
export const OBS_TEXT: u32 = 0x80;    // obs-text = %x80-FF
/** The bit that tells an ASCII letter's case: ORed in, it lowercases a letter. */
export const CASE_BIT: u32 = 0x20;
/** HTTP-name = %s"HTTP" (RFC 9112 §2.3), its four bytes read as one little-endian u32. */
export const HTTP_NAME: u32 = 0x50545448;

// Byte classes.
export const HEX: u8 = 8;
export const DIGIT: u8 = 16;
export const SCHEME: u8 = 32;    // ALPHA / DIGIT / "+" / "-" / "."
export const HOSTCHAR: u8 = 64;  // reg-name, IPv4 and IP-literal bytes of a Host value

const CLASS = memory.data(256);

function markByte(c: u32, cls: u8): void {
  store<u8>(CLASS + c, load<u8>(CLASS + c) | cls);
}

/** Marks the bytes from the first character of `range` to its second ("09": the digits). */
function mark(range: string, cls: u8): void {
  for (let c = <u32>range.charCodeAt(0); c <= <u32>range.charCodeAt(1); c++) markByte(c, cls);
}

function markEach(chars: string, cls: u8): void {
  for (let i = 0; i < chars.length; i++) markByte(chars.charCodeAt(i), cls);
}

export function initChars(): void {
  mark("09", HEX | DIGIT | SCHEME | HOSTCHAR);
  mark("AZ", SCHEME | HOSTCHAR);
  mark("az", SCHEME | HOSTCHAR);
  mark("AF", HEX);
  mark("af", HEX);
  markEach("+-.", SCHEME);
  markEach("-._~!$&'()*+,;=%:[]", HOSTCHAR);
}

// @ts-ignore: decorator
@inline export function is(c: u32, cls: u8): bool {
  return (load<u8>(CLASS + c) & cls) != 0;
}

// @ts-ignore: decorator
@inline export function lower(c: u32): u32 {
  return c - UPPER_A < 26 ? c | CASE_BIT : c;
}

// @ts-ignore: decorator
@inline export function hexValue(c: u32): u32 {
  return c <= DIGIT_9 ? c - DIGIT_0 : (c | CASE_BIT) - (LOWER_A - 10);
}

// Rules more than one parser uses, each written once.

/** WSP = SP / HTAB (RFC 5234 §B.1). */
// @ts-ignore: decorator
@inline export function isWSP(c: u32): bool {
  return c == SP || c == HTAB;
}

/** OWS = *( SP / HTAB ) (RFC 9110 §5.6.3; BWS is the same bytes): the first byte in [p, end) past it. */
// @ts-ignore: decorator
@inline export function skipOWS(p: usize, end: usize): usize {
  while (p < end && isWSP(load<u8>(p))) p++;
  return p;
}

/** The end of [start, p) without its trailing OWS. */
// @ts-ignore: decorator
@inline export function trimOWS(start: usize, p: usize): usize {
  while (p > start && isWSP(load<u8>(p - 1))) p--;
  return p;
}

// A list (RFC 9110 §5.6.1, #rule): elements separated by commas, OWS around each. The walker
// nextElement() leaves the element it took here.
export let elementStart: usize = 0;
export let elementLength: i32 = 0;

/**
 * Takes the list element that starts at `p` in a list ending at `end`: up to the next comma, less
 * its OWS; an empty element is taken too. Returns where the next element starts, which is past
 * `end` once this one was the last:
 *
 *   let p = v;
 *   do { p = nextElement(p, end); ...elementStart, elementLength... } while (p <= end);
 */
// @ts-ignore: decorator
@inline export function nextElement(p: usize, end: usize): usize {
  const start = skipOWS(p, end);
  p = start;
  while (p < end && load<u8>(p) != COMMA) p++;
  elementStart = start;
  elementLength = <i32>(trimOWS(start, p) - start);
  return p + 1;
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
