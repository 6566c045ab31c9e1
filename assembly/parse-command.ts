// wasgi-parse: a WASI command (preview1) around the server's own parser.
//
//   wasgi-parse < requests.bin
//
// Reads raw HTTP/1.1 request bytes on stdin until EOF, feeding them to the core as reads into its
// window, and writes one JSON object per request on stdout, one per line: the CGI keys of the
// environ the server would build (REQUEST_METHOD, SCRIPT_NAME, PATH_INFO, QUERY_STRING,
// SERVER_PROTOCOL, CONTENT_TYPE, CONTENT_LENGTH, HTTP_*), RAW_URI, and "body" (the decoded body,
// base64). Strings are the request's latin-1 bytes as Unicode code points, in UTF-8.
//
// A rejected request ends the stream: {"error":CODE,"reason":TEXT,"status":NNN,"offset":N}
// (offset: where the failing request starts in the input) and exit status 1. Input that ends
// inside a request is the error code 0, "incomplete request". A request that ends the connection
// (Connection: close, HTTP/1.0) ends the output; what follows it is read and ignored.

import { fd_read, fd_write, proc_exit } from "bindings/wasi_snapshot_preview1";
import * as D from "./parse-reactor";

const OUT_SIZE: i32 = 65536;
// @ts-ignore: decorator
@lazy const io: usize = memory.data(16); // iovec (buf, len), then the count read or written

let out: usize = 0;
let outLen: i32 = 0;

function flush(): void {
  let p = out;
  let n = outLen;
  while (n > 0) {
    store<u32>(io, <u32>p);
    store<u32>(io, <u32>n, 4);
    if (fd_write(1, io, 1, io + 8) != 0) proc_exit(2);
    const w = load<u32>(io, 8);
    p += w;
    n -= <i32>w;
  }
  outLen = 0;
}

// @ts-ignore: decorator
@inline function put(c: u32): void {
  if (outLen == OUT_SIZE) flush();
  store<u8>(out + <usize>(outLen++), <u8>c);
}

function ascii(s: string): void {
  for (let i = 0; i < s.length; i++) put(<u32>s.charCodeAt(i));
}

function hexDigit(v: u32): u32 { return v < 10 ? 0x30 + v : 0x57 + v; }

/** Latin-1 bytes as the inside of a JSON string (UTF-8, escaped). */
function chars(p: usize, len: i32): void {
  for (let i = 0; i < len; i++) {
    const c = <u32>load<u8>(p + <usize>i);
    if (c == 0x22 || c == 0x5c) { put(0x5c); put(c); }
    else if (c >= 0x20 && c < 0x80) put(c);
    else if (c >= 0x80) { put(0xc0 | (c >> 6)); put(0x80 | (c & 0x3f)); }
    else if (c == 0x08) { put(0x5c); put(0x62); }
    else if (c == 0x09) { put(0x5c); put(0x74); }
    else if (c == 0x0a) { put(0x5c); put(0x6e); }
    else if (c == 0x0c) { put(0x5c); put(0x66); }
    else if (c == 0x0d) { put(0x5c); put(0x72); }
    else { ascii("\\u00"); put(hexDigit(c >> 4)); put(hexDigit(c & 15)); }
  }
}

function str(p: usize, len: i32): void {
  put(0x22); chars(p, len); put(0x22);
}

function key(s: string): void {
  put(0x22); ascii(s); ascii("\":");
}

function decimal(v: u64): void {
  if (v >= 10) decimal(v / 10);
  put(<u32>(0x30 + v % 10));
}

function b64(v: u32): u32 {
  return v < 26 ? 0x41 + v : v < 52 ? 0x47 + v : v < 62 ? v - 4 : v == 62 ? 0x2b : 0x2f;
}

function base64(p: usize, len: i32): void {
  put(0x22);
  let i = 0;
  for (; i + 3 <= len; i += 3) {
    const v = (<u32>load<u8>(p + <usize>i) << 16) | (<u32>load<u8>(p + <usize>i + 1) << 8) | <u32>load<u8>(p + <usize>i + 2);
    put(b64(v >> 18)); put(b64((v >> 12) & 63)); put(b64((v >> 6) & 63)); put(b64(v & 63));
  }
  if (len - i == 1) {
    const v = <u32>load<u8>(p + <usize>i) << 16;
    put(b64(v >> 18)); put(b64((v >> 12) & 63)); put(0x3d); put(0x3d);
  } else if (len - i == 2) {
    const v = (<u32>load<u8>(p + <usize>i) << 16) | (<u32>load<u8>(p + <usize>i + 1) << 8);
    put(b64(v >> 18)); put(b64((v >> 12) & 63)); put(b64((v >> 6) & 63)); put(0x3d);
  }
  put(0x22);
}

function lower(c: u32): u32 { return c >= 0x41 && c <= 0x5a ? c | 0x20 : c; }

function sameName(a: usize, aLen: i32, b: usize, bLen: i32): bool {
  if (aLen != bLen) return false;
  for (let i = 0; i < aLen; i++) {
    if (lower(load<u8>(a + <usize>i)) != lower(load<u8>(b + <usize>i))) return false;
  }
  return true;
}

function isName(p: usize, len: i32, s: string): bool {
  if (len != s.length) return false;
  for (let i = 0; i < len; i++) if (lower(load<u8>(p + <usize>i)) != <u32>s.charCodeAt(i)) return false;
  return true;
}

function hasUnderscore(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) == 0x5f) return true;
  return false;
}

/** The environ key of a header name: CONTENT_TYPE, CONTENT_LENGTH or HTTP_NAME. */
function headerKey(p: usize, len: i32): void {
  put(0x22);
  if (!isName(p, len, "content-type") && !isName(p, len, "content-length")) ascii("HTTP_");
  for (let i = 0; i < len; i++) {
    const c = <u32>load<u8>(p + <usize>i);
    put(c == 0x2d ? 0x5f : c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  }
  ascii("\":");
}

function span(r: usize, at: usize): void {
  str(load<u32>(r + at), load<i32>(r + at + 4));
}

function writeRequest(r: usize): void {
  const flags = load<u32>(r + D.RQ_FLAGS);
  put(0x7b);
  key("REQUEST_METHOD"); span(r, D.RQ_METHOD);
  put(0x2c); key("SCRIPT_NAME"); ascii("\"\"");
  put(0x2c); key("PATH_INFO"); span(r, D.RQ_PATH);
  put(0x2c); key("QUERY_STRING"); span(r, D.RQ_QUERY);
  put(0x2c); key("SERVER_PROTOCOL"); ascii((flags & 1) != 0 ? "\"HTTP/1.1\"" : "\"HTTP/1.0\"");
  put(0x2c); key("RAW_URI"); span(r, D.RQ_TARGET);
  // Header fields in order of first appearance; repeats joined as the server's environ does.
  const count = load<i32>(r + D.RQ_FIELDS);
  const fields = <usize>load<u32>(r + D.RQ_FIELDS + 4);
  for (let i = 0; i < count; i++) {
    const f = fields + (<usize>i << 4);
    const name = <usize>load<u32>(f);
    const nameLen = load<i32>(f, 4);
    if (hasUnderscore(name, nameLen)) continue;
    let seen = false;
    for (let j = 0; j < i && !seen; j++) {
      const g = fields + (<usize>j << 4);
      seen = sameName(name, nameLen, load<u32>(g), load<i32>(g, 4));
    }
    if (seen) continue;
    const cookie = isName(name, nameLen, "cookie");
    put(0x2c);
    headerKey(name, nameLen);
    put(0x22);
    chars(load<u32>(f, 8), load<i32>(f, 12));
    for (let j = i + 1; j < count; j++) {
      const g = fields + (<usize>j << 4);
      if (!sameName(name, nameLen, load<u32>(g), load<i32>(g, 4))) continue;
      ascii(cookie ? "; " : ", ");
      chars(load<u32>(g, 8), load<i32>(g, 12));
    }
    put(0x22);
  }
  put(0x2c); key("body"); base64(load<u32>(r + D.RQ_BODY), load<i32>(r + D.RQ_BODY + 4));
  put(0x7d); put(0x0a);
}

function writeError(): void {
  const code = D.errorCode;
  put(0x7b);
  key("error"); decimal(<u64>code);
  put(0x2c); key("reason"); put(0x22);
  const reason = D.reasonOf(code);
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) put(0x5c);
    if (c < 0x80) put(<u32>c);
    else { put(0xc0 | (<u32>c >> 6)); put(0x80 | (<u32>c & 0x3f)); }
  }
  put(0x22);
  put(0x2c); key("status"); decimal(<u64>D.statusOf(code));
  put(0x2c); key("offset"); decimal(D.errorOffset);
  put(0x7d); put(0x0a);
}

/** Reads into `at`; returns the byte count, 0 at EOF (or on a read error). */
function read(at: usize, len: i32): i32 {
  while (true) {
    store<u32>(io, <u32>at);
    store<u32>(io, <u32>len, 4);
    const err = fd_read(0, io, 1, io + 8);
    if (err == 0) return <i32>load<u32>(io, 8);
    if (err != 6 && err != 27) return 0; // retried: EAGAIN, EINTR
  }
}

function main(): void {
  D.begin();
  out = D.alloc(<usize>OUT_SIZE, 64);
  const kept = D.mark();
  while (!D.closed) {
    const n = read(D.readAddress(), D.readSpace());
    if (n == 0) D.finishInput();
    else D.fed(n);
    // Finished requests are written at once; their copies are dropped unless a body is still
    // arriving behind them.
    for (let r = D.takeDone(); r != 0; r = D.takeDone()) writeRequest(r);
    if (!D.inRequest()) D.release(kept);
  }
  if (D.failed) writeError();
  flush();
  // The rest of the input is read and dropped, so a writer on a pipe sees it all taken.
  const sink = D.alloc(65536, 64);
  while (read(sink, 65536) > 0) {}
  if (D.failed) proc_exit(1);
}

main();
