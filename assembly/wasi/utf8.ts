// UTF-8, once for the WASI builds: the request's bytes are latin-1 (byte 0xE9 is U+00E9), and
// both the command's JSON and the component's canonical-ABI strings must be UTF-8.
// Code units are taken one at a time: no surrogate pairs occur in what is encoded (latin-1 bytes
// and the core's ASCII reasons).

/** Writes one UTF-16 code unit (not a surrogate) as UTF-8 at `dst`; returns the end. */
export function putUtf8(dst: usize, c: u32): usize {
  if (c < 0x80) {
    store<u8>(dst++, <u8>c);
  } else if (c < 0x800) {
    store<u8>(dst++, <u8>(0xc0 | (c >> 6)));
    store<u8>(dst++, <u8>(0x80 | (c & 0x3f)));
  } else {
    store<u8>(dst++, <u8>(0xe0 | (c >> 12)));
    store<u8>(dst++, <u8>(0x80 | ((c >> 6) & 0x3f)));
    store<u8>(dst++, <u8>(0x80 | (c & 0x3f)));
  }
  return dst;
}

/** The most bytes putUtf8 writes for one code unit. */
export const MAX_UTF8: i32 = 3;

/** Bytes a latin-1 span takes in UTF-8. */
export function latin1Utf8Length(p: usize, len: i32): i32 {
  let n = len;
  for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) >= 0x80) n++;
  return n;
}

/** Writes a latin-1 span as UTF-8 at `dst`; returns the end. */
export function latin1ToUtf8(dst: usize, p: usize, len: i32): usize {
  for (let i = 0; i < len; i++) dst = putUtf8(dst, <u32>load<u8>(p + <usize>i));
  return dst;
}

/** Writes a string as UTF-8 at `dst` (at most MAX_UTF8 bytes a code unit); returns the end. */
export function textToUtf8(dst: usize, s: string): usize {
  for (let i = 0; i < s.length; i++) dst = putUtf8(dst, <u32>s.charCodeAt(i));
  return dst;
}
