// The parser as a library, outside the server: a driver that feeds bytes to the core exactly as
// the Node host does (test/helpers/parse.ts), and the component export `parse` over it.
//
// Two binaries use this file:
//   - build/wasgi-parser.wasm (this file is the entry): a WASI reactor core module whose export
//     `parse` follows the component model's canonical ABI for wit/wasgi.wit; `jco embed` and
//     `jco new` make it the component build/wasgi-parser.component.wasm.
//   - build/wasgi-parse.wasm (entry parse-command.ts): the stdin -> JSON lines command, which
//     imports the driver below.
//
// No second parser: every byte goes through the core's openConnection/run and its actions. The
// core lays out its memory from __heap_base at init and nothing here uses `new`; the driver's
// own data (copies of finished requests, the component's results) lives in a bump region above
// the core's layout, which grows the memory as needed.

import * as L from "./layout";
import * as Q from "./queue";
import { init, openConnection, run, carriedEvents, windowAddress, recordAddress } from "./index";
import { get, FILL, POS, HEAD_START } from "./conn";
import { percentDecode } from "./parser";
import { errorStatus, errorReason } from "./errors";

// ---------------------------------------------------------------------------------------------
// The bump region above the core's layout
//
// The region grows the memory itself, but it is not the only one that may: under the preview1
// component adapter (jco new --wasi-command) the adapter takes a page of its own with memory.grow
// at the first WASI call. So the region owns only the pages it grew (up to `limit`); when the
// memory has grown past that behind its back, it starts a new segment at the memory's end.
// (For the same reason setup(), which lays out the core from __heap_base, must run before the
// first WASI call.)

let top: usize = 0;
let limit: usize = 0;
let segment: usize = 0;

// @ts-ignore: decorator
@inline function alignUp(n: usize, to: usize): usize {
  return (n + to - 1) & ~(to - 1);
}

/** Allocates `size` bytes aligned to `align` (a power of two, at most 64 KiB) in the region. */
export function alloc(size: usize, align: usize): usize {
  let p = alignUp(top, align);
  if (p + size > limit) {
    const end = <usize>memory.size() << 16;
    if (end != limit) {
      // Someone else grew the memory since: what lies between is theirs.
      segment = end;
      limit = end;
      p = end;
    }
    const pages = <i32>((p + size - limit + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) unreachable();
    limit += <usize>pages << 16;
  }
  top = p + size;
  return p;
}

/** Where the region's next allocation starts; `release(mark)` frees everything after it. */
export function mark(): usize { return top; }
export function release(to: usize): void { top = to >= segment ? to : segment; }

let ready = false;

/** Lays out the core once with the server's default limits and one connection. */
export function setup(): void {
  if (ready) return;
  if (!init(1, L.DEFAULT_LIMIT_REQUEST_LINE, L.DEFAULT_LIMIT_REQUEST_FIELDS, L.DEFAULT_LIMIT_REQUEST_FIELD_SIZE, L.DEFAULT_LIMIT_REQUEST_HEAD, L.DEFAULT_MAX_BODY_SIZE)) unreachable();
  segment = alignUp(L.end + 64, 64);
  top = segment;
  limit = <usize>memory.size() << 16;
  ready = true;
}

// ---------------------------------------------------------------------------------------------
// Finished requests: copies of the record's spans and the body, as a linked list.

export const RQ_FLAGS = 0;      // u32: layout F_* (HTTP/1.1, keep-alive)
export const RQ_OFFSET = 8;     // u64: where the request starts in the input stream
export const RQ_METHOD = 16;    // addr, len
export const RQ_TARGET = 24;
export const RQ_PATH = 32;      // percent-decoded, latin-1
export const RQ_QUERY = 40;
export const RQ_FIELDS = 48;    // count, addr of count * (name addr, name len, value addr, value len)
export const RQ_BODY = 56;      // addr, len (decoded)
export const RQ_NEXT = 64;
export const RQ_SIZE: usize = 72;

/** Finished requests not yet taken, oldest first. */
export let doneHead: usize = 0;
let doneTail: usize = 0;
export let doneCount = 0;
/** The request whose body is still arriving, or 0. */
let current: usize = 0;

/** The failure, once `failed`: code (0: incomplete request at the end of input) and offset. */
export let failed = false;
export let errorCode = 0;
export let errorOffset: u64 = 0;
/** The connection is over (an error, or a request that ends it): further input is ignored. */
export let closed = false;

let conn = -1;
let window: usize = 0;
/** Where the next read lands in the window (the window's fill as the host knows it). */
export let readOffset = 0;
/** Input stream offset of window offset 0. */
let base: u64 = 0;
let eventCount = 0;

function push(type: i32, arg: i32): void {
  const e = L.eventsBase + <usize>eventCount * 12;
  store<i32>(e, type);
  store<i32>(e, conn, 4);
  store<i32>(e, arg, 8);
  eventCount++;
}

/** Opens a connection for a new input stream and forgets the previous one's requests. */
export function begin(): void {
  setup();
  doneHead = 0; doneTail = 0; doneCount = 0; current = 0;
  failed = false; errorCode = 0; errorOffset = 0; closed = false;
  readOffset = 0; base = 0; eventCount = 0;
  conn = openConnection(0);
  if (conn < 0) unreachable();
  window = windowAddress(conn);
}

/** Gives the connection back to the core. */
export function end(): void {
  if (conn < 0) return;
  eventCount = 0;
  push(Q.EV_CLOSED, 0);
  run(eventCount, 0);
  eventCount = 0;
  conn = -1;
}

/** The window's free part: where the next read lands and how much fits. */
export function readAddress(): usize { return window + <usize>readOffset; }
export function readSpace(): i32 { return L.windowSize - readOffset; }

/** `n` bytes were read into readAddress(). */
export function fed(n: i32): void {
  if (closed || n <= 0) return;
  readOffset += n;
  push(Q.EV_READ, readOffset);
  runAll();
  if (!closed && readOffset == L.windowSize) unreachable();
}

/** Copies `len` bytes from `src` in as many reads as the window takes. */
export function feedBytes(src: usize, len: i32): void {
  let at = 0;
  while (at < len && !closed) {
    const n = min(len - at, readSpace());
    memory.copy(readAddress(), src + <usize>at, n);
    at += n;
    fed(n);
  }
}

/** The input ended: a request cut short is an error (code 0, "incomplete request"). */
export function finishInput(): void {
  if (closed) return;
  if (current == 0 && get(conn, FILL) > get(conn, POS)) {
    fail(0, base + <u64>get(conn, HEAD_START));
    return;
  }
  push(Q.EV_EOF, 0);
  runAll();
  closed = true;
}

function fail(code: i32, offset: u64): void {
  failed = true;
  errorCode = code;
  errorOffset = offset;
  closed = true;
}

/** Status and reason of an error code; code 0 is an incomplete request. */
export function statusOf(code: i32): i32 { return code == 0 ? 400 : errorStatus(code); }
export function reasonOf(code: i32): string { return code == 0 ? "incomplete request" : errorReason(code); }

function copyIn(src: usize, len: i32): usize {
  const p = alloc(<usize>len, 1);
  memory.copy(p, src, <usize>len);
  return p;
}

/** CALL_APP: copies the record's spans out of the window (they live only until the next run). */
function takeHead(): usize {
  const rec = recordAddress(conn);
  const r = alloc(RQ_SIZE, 8);
  const flags = load<u32>(rec + (L.REC_FLAGS << 2));
  store<u32>(r + RQ_FLAGS, flags);
  store<u64>(r + RQ_OFFSET, base + <u64>get(conn, HEAD_START));
  copySpan(rec, L.REC_METHOD, r + RQ_METHOD);
  copySpan(rec, L.REC_TARGET, r + RQ_TARGET);
  copySpan(rec, L.REC_QUERY, r + RQ_QUERY);
  const pathAt = load<u32>(rec + (L.REC_PATH << 2));
  const pathLen = load<i32>(rec + ((L.REC_PATH + 1) << 2));
  if (flags & L.F_PERCENT) {
    const p = alloc(<usize>pathLen, 1);
    const n = percentDecode(pathAt, pathLen, p);
    release(p + <usize>n);
    store<u32>(r + RQ_PATH, <u32>p);
    store<i32>(r + RQ_PATH + 4, n);
  } else {
    store<u32>(r + RQ_PATH, <u32>copyIn(pathAt, pathLen));
    store<i32>(r + RQ_PATH + 4, pathLen);
  }
  const count = load<i32>(rec + (L.REC_FIELD_COUNT << 2));
  const fields = alloc(<usize>count << 4, 4);
  let f = rec + (L.REC_FIELDS << 2);
  for (let i = 0; i < count; i++, f += L.FIELD_WORDS << 2) {
    const o = fields + (<usize>i << 4);
    const nameLen = load<i32>(f, 8);
    const valueLen = load<i32>(f, 16);
    store<u32>(o, <u32>copyIn(load<u32>(f, 4), nameLen));
    store<i32>(o, nameLen, 4);
    store<u32>(o, <u32>copyIn(load<u32>(f, 12), valueLen), 8);
    store<i32>(o, valueLen, 12);
  }
  store<i32>(r + RQ_FIELDS, count);
  store<u32>(r + RQ_FIELDS + 4, <u32>fields);
  // The body is appended below as it arrives: nothing else is allocated until it is whole.
  store<u32>(r + RQ_BODY, <u32>alloc(0, 8));
  store<i32>(r + RQ_BODY + 4, 0);
  store<u32>(r + RQ_NEXT, 0);
  return r;
}

function copySpan(rec: usize, word: i32, to: usize): void {
  const at = load<u32>(rec + (<usize>word << 2));
  const len = load<i32>(rec + (<usize>(word + 1) << 2));
  store<u32>(to, <u32>copyIn(at, len));
  store<i32>(to, len, 4);
}

function appendBody(r: usize, src: usize, len: i32): void {
  const at = <usize>load<u32>(r + RQ_BODY);
  const have = load<i32>(r + RQ_BODY + 4);
  let p = alloc(<usize>len, 1);
  if (p != at + <usize>have) {
    // The region started a new segment: the body moves there whole, to stay contiguous.
    release(p);
    const q = alloc(<usize>(have + len), 8);
    memory.copy(q, at, <usize>have);
    store<u32>(r + RQ_BODY, <u32>q);
    p = q + <usize>have;
  }
  memory.copy(p, src, <usize>len);
  store<i32>(r + RQ_BODY + 4, have + len);
}

/** A request is whole: list it and tell the core its "response" is done. */
function complete(r: usize): void {
  if (doneTail != 0) store<u32>(doneTail + RQ_NEXT, <u32>r);
  else doneHead = r;
  doneTail = r;
  doneCount++;
  current = 0;
  push(Q.EV_DONE, (load<u32>(r + RQ_FLAGS) & L.F_KEEP_ALIVE) != 0 ? 0 : 1);
}

/** Takes the oldest finished request off the list (0 when none). */
export function takeDone(): usize {
  const r = doneHead;
  if (r == 0) return 0;
  doneHead = load<u32>(r + RQ_NEXT);
  if (doneHead == 0) doneTail = 0;
  return r;
}

/** True while a request's body is still arriving (its copy must stay where it is). */
export function inRequest(): bool { return current != 0; }

function runAll(): void {
  while (eventCount > 0 && !closed) {
    const count = eventCount;
    eventCount = 0;
    const n = run(count, 0);
    eventCount = carriedEvents();
    for (let i = 0; i < n && !closed; i++) {
      const a = L.actionsBase + (<usize>i << 4);
      const type = load<i32>(a);
      const x = load<i32>(a, 8);
      const y = load<i32>(a, 12);
      if (type == Q.ACT_CALL_APP) {
        const r = takeHead();
        if (load<u32>(r + RQ_FLAGS) & L.F_HAS_BODY) current = r;
        else complete(r);
      } else if (type == Q.ACT_BODY) {
        if (current != 0) appendBody(current, <usize>x, y);
      } else if (type == Q.ACT_BODY_END) {
        if (x == 0 && current != 0) complete(current);
        else if (x == 1 && current != 0) fail(0, load<u64>(current + RQ_OFFSET));
        // x == 2: the body failed; the ERROR action follows.
      } else if (type == Q.ACT_ERROR) {
        fail(x, current != 0 ? load<u64>(current + RQ_OFFSET) : base + <u64>get(conn, HEAD_START));
      } else if (type == Q.ACT_CLOSE) {
        closed = true;
      } else if (type == Q.ACT_REARM) {
        // The unconsumed bytes moved to the window's front: the stream offset of window offset 0
        // moves up by what was dropped.
        base += <u64>(readOffset - x);
        readOffset = x;
      } else if (type == Q.ACT_RELEASE) {
        // Every byte was parsed and the window went back to the pool: take one again.
        base += <u64>readOffset;
        readOffset = 0;
        window = windowAddress(conn);
      }
    }
  }
  eventCount = 0;
}

/** Parses a whole input held in memory; the requests are on the done list afterwards. */
export function parseAll(src: usize, len: i32): void {
  begin();
  feedBytes(src, len);
  finishInput();
  end();
}

// ---------------------------------------------------------------------------------------------
// Latin-1 to UTF-8

/** Bytes a latin-1 span takes in UTF-8. */
export function utf8Length(p: usize, len: i32): i32 {
  let n = len;
  for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) >= 0x80) n++;
  return n;
}

/** Writes a latin-1 span as UTF-8 at `dst`; returns the end. */
export function latin1ToUtf8(dst: usize, p: usize, len: i32): usize {
  for (let i = 0; i < len; i++) {
    const c = <u32>load<u8>(p + <usize>i);
    if (c < 0x80) {
      store<u8>(dst++, <u8>c);
    } else {
      store<u8>(dst++, <u8>(0xc0 | (c >> 6)));
      store<u8>(dst++, <u8>(0x80 | (c & 0x3f)));
    }
  }
  return dst;
}

// ---------------------------------------------------------------------------------------------
// The component export (canonical ABI, wit/wasgi.wit):
//
//   parse: func(input: list<u8>) -> result<list<request>, parse-error>
//
// Flat core signature: parse(ptr: i32, len: i32) -> i32, the address of the result in memory;
// the host allocates the input with cabi_realloc and calls cabi_post_parse when it has read the
// result. Layouts (size/alignment from the WIT, wasm32):
//
//   string, list<T>          8/4   ptr u32, len u32 (strings UTF-8)
//   tuple<string, string>   16/4
//   request                 72/8   method 0, target 8, version 16, path 24, query 32,
//                                  headers 40, body 48, keep-alive (bool) 56, offset (u64) 64
//   parse-error             32/8   code (u16) 0, status (u16) 2, reason 4, offset (u64) 16,
//                                  requests 24 (the requests accepted before the failure)
//   result<list<request>, parse-error>  40/8   discriminant (u8) 0, payload 8

const W_REQUEST: usize = 72;
const W_ERROR: usize = 32;
const W_RESULT: usize = 40;

// @ts-ignore: decorator
@lazy const V10: usize = memory.data<u8>([0x31, 0x2e, 0x30]);
// @ts-ignore: decorator
@lazy const V11: usize = memory.data<u8>([0x31, 0x2e, 0x31]);

/** Where the input list was allocated: results are laid out after it and freed in post-return. */
let callMark: usize = 0;
let inCall = false;

export function cabi_realloc(oldPtr: usize, oldSize: usize, align: usize, newSize: usize): usize {
  setup();
  if (!inCall) { callMark = top; inCall = true; }
  const p = alloc(newSize, align);
  if (oldPtr != 0 && oldSize != 0) memory.copy(p, oldPtr, min(oldSize, newSize));
  return p;
}

/** A latin-1 span as a canonical string: the same bytes when ASCII, else a UTF-8 copy. */
function lowerLatin1(at: usize, p: usize, len: i32): void {
  const n = utf8Length(p, len);
  if (n == len) {
    store<u32>(at, <u32>p);
  } else {
    const q = alloc(<usize>n, 1);
    latin1ToUtf8(q, p, len);
    store<u32>(at, <u32>q);
  }
  store<u32>(at, <u32>n, 4);
}

function lowerRequests(): usize {
  const count = doneCount;
  const list = alloc(<usize>count * W_REQUEST, 8);
  let r = doneHead;
  for (let i = 0; i < count; i++, r = load<u32>(r + RQ_NEXT)) {
    const o = list + <usize>i * W_REQUEST;
    const flags = load<u32>(r + RQ_FLAGS);
    lowerLatin1(o, load<u32>(r + RQ_METHOD), load<i32>(r + RQ_METHOD + 4));
    lowerLatin1(o + 8, load<u32>(r + RQ_TARGET), load<i32>(r + RQ_TARGET + 4));
    store<u32>(o + 16, <u32>((flags & L.F_HTTP11) != 0 ? V11 : V10));
    store<u32>(o + 20, 3);
    lowerLatin1(o + 24, load<u32>(r + RQ_PATH), load<i32>(r + RQ_PATH + 4));
    lowerLatin1(o + 32, load<u32>(r + RQ_QUERY), load<i32>(r + RQ_QUERY + 4));
    const fieldCount = load<i32>(r + RQ_FIELDS);
    const fields = <usize>load<u32>(r + RQ_FIELDS + 4);
    const headers = alloc(<usize>fieldCount << 4, 4);
    for (let j = 0; j < fieldCount; j++) {
      const f = fields + (<usize>j << 4);
      const h = headers + (<usize>j << 4);
      lowerLatin1(h, load<u32>(f), load<i32>(f, 4));
      lowerLatin1(h + 8, load<u32>(f, 8), load<i32>(f, 12));
    }
    store<u32>(o + 40, <u32>headers);
    store<u32>(o + 44, <u32>fieldCount);
    store<u32>(o + 48, load<u32>(r + RQ_BODY));
    store<u32>(o + 52, load<u32>(r + RQ_BODY + 4));
    store<u8>(o + 56, (flags & L.F_KEEP_ALIVE) != 0 ? 1 : 0);
    store<u64>(o + 64, load<u64>(r + RQ_OFFSET));
  }
  return list;
}

export function parse(ptr: usize, len: i32): usize {
  setup();
  if (!inCall) { callMark = top; inCall = true; }
  parseAll(ptr, len);
  const result = alloc(W_RESULT, 8);
  const list = lowerRequests();
  if (!failed) {
    store<u8>(result, 0);
    store<u32>(result + 8, <u32>list);
    store<u32>(result + 12, <u32>doneCount);
  } else {
    store<u8>(result, 1);
    const e = result + 8;
    store<u16>(e, <u16>errorCode);
    store<u16>(e + 2, <u16>statusOf(errorCode));
    const reason = reasonOf(errorCode);
    const text = alloc(<usize>reason.length * 3, 1);
    let q = text;
    for (let i = 0; i < reason.length; i++) q = putChar(q, reason.charCodeAt(i));
    store<u32>(e + 4, <u32>text);
    store<u32>(e + 8, <u32>(q - text));
    store<u64>(e + 16, errorOffset);
    store<u32>(e + 24, <u32>list);
    store<u32>(e + 28, <u32>doneCount);
  }
  return result;
}

/** The host has read the result: everything allocated for this call is freed. */
export function cabi_post_parse(result: usize): void {
  if (inCall) release(callMark);
  inCall = false;
}

/** One UTF-16 code unit (no surrogates in the reasons) as UTF-8. */
export function putChar(q: usize, c: i32): usize {
  if (c < 0x80) {
    store<u8>(q++, <u8>c);
  } else if (c < 0x800) {
    store<u8>(q++, <u8>(0xc0 | (c >> 6)));
    store<u8>(q++, <u8>(0x80 | (c & 0x3f)));
  } else {
    store<u8>(q++, <u8>(0xe0 | (c >> 12)));
    store<u8>(q++, <u8>(0x80 | ((c >> 6) & 0x3f)));
    store<u8>(q++, <u8>(0x80 | (c & 0x3f)));
  }
  return q;
}
