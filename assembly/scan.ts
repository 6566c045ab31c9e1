// Byte scanning sixteen bytes at a time (WebAssembly SIMD). Each function may load up to 15 bytes
// past `end`: every window is followed by slack (layout.ts), and bytes past `end` are ignored.

import { HTAB, LF, SP, DEL, VCHAR_FIRST, VCHAR_LAST } from "./chars";

/** The first byte equal to `c` in [p, end), or end. */
// @ts-ignore: decorator
@inline export function findByte(p: usize, end: usize, c: u8): usize {
  const want = i8x16.splat(<i8>c);
  while (p < end) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(p), want));
    if (m != 0) return min(p + <usize>ctz(m), end);
    p += 16;
  }
  return end;
}

/** Positions of LF in the 16 bytes at `p`, one bit each (bit 0 is `p`). */
// @ts-ignore: decorator
@inline export function lineFeeds(p: usize): i32 {
  return i8x16.bitmask(i8x16.eq(v128.load(p), i8x16.splat(<i8>LF)));
}

/**
 * The first byte in [p, end) that may not appear in a field value, or end. Allowed: HTAB, SP,
 * VCHAR and obs-text (RFC 9110 §5.5); so a control other than HTAB, or DEL, stops the scan.
 */
export function findNonValue(p: usize, end: usize): usize {
  while (p < end) {
    const v = v128.load(p);
    const control = v128.andnot(i8x16.lt_u(v, i8x16.splat(<i8>SP)), i8x16.eq(v, i8x16.splat(<i8>HTAB)));
    const m = i8x16.bitmask(v128.or(control, i8x16.eq(v, i8x16.splat(<i8>DEL))));
    if (m != 0) return min(p + <usize>ctz(m), end);
    p += 16;
  }
  return end;
}

/** The first byte in [p, end) outside VCHAR (0x21-0x7E), which a request-target consists of, or end. */
export function findNonVisible(p: usize, end: usize): usize {
  while (p < end) {
    const shifted = i8x16.sub(v128.load(p), i8x16.splat(<i8>VCHAR_FIRST));
    const m = i8x16.bitmask(i8x16.gt_u(shifted, i8x16.splat(<i8>(VCHAR_LAST - VCHAR_FIRST))));
    if (m != 0) return min(p + <usize>ctz(m), end);
    p += 16;
  }
  return end;
}

// A byte is a token character (RFC 9110 §5.6.2) when the bit of its high nibble (one per nibble
// 2 to 7) is set in the entry of its low nibble: two table lookups per 16 bytes (i8x16.swizzle).
const TOKEN_BY_LOW = v128(0x3a, 0x3f, 0x3e, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3e, 0x3e, 0x3d, 0x15, 0x34, 0x15, 0x3d, 0x1c);
const TOKEN_BY_HIGH = v128(0, 0, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0, 0, 0, 0, 0, 0, 0, 0);

/** The first byte in [p, end) that is not a token character, or end. */
export function findNonToken(p: usize, end: usize): usize {
  const nibble = i8x16.splat(0x0f);
  while (p < end) {
    const v = v128.load(p);
    const low = i8x16.swizzle(TOKEN_BY_LOW, v128.and(v, nibble));
    const high = i8x16.swizzle(TOKEN_BY_HIGH, i8x16.shr_u(v, 4));
    const m = i8x16.bitmask(i8x16.eq(v128.and(low, high), i8x16.splat(0)));
    if (m != 0) return min(p + <usize>ctz(m), end);
    p += 16;
  }
  return end;
}
