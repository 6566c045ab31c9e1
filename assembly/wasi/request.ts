// A finished request as the WASI builds keep it: a copy in the region of the core's request record
// and of the body, since the record's spans point into the window and live only until the next run.

import * as L from "../layout";
import { percentDecode } from "../parser";
import { alloc, release } from "./region";

export const RQ_FLAGS = 0;      // u32: layout F_* (HTTP/1.1, keep-alive, has body)
export const RQ_OFFSET = 8;     // u64: where the request starts in the input stream
export const RQ_METHOD = 16;    // addr, len
export const RQ_TARGET = 24;
export const RQ_PATH = 32;      // percent-decoded, latin-1
export const RQ_QUERY = 40;
export const RQ_FIELDS = 48;    // count, addr of count * FIELD_SIZE
export const RQ_BODY = 56;      // addr, len (decoded)
export const RQ_NEXT = 64;      // the next request on a list, or 0
export const RQ_SIZE: usize = 72;

/** One header field of a copy: name addr, name len, value addr, value len. */
export const FIELD_NAME = 0;
export const FIELD_VALUE = 8;
export const FIELD_SIZE: usize = 16;

function copyIn(src: usize, len: i32): usize {
  const p = alloc(<usize>len, 1);
  memory.copy(p, src, <usize>len);
  return p;
}

function copySpan(rec: usize, word: i32, to: usize): void {
  const at = load<u32>(rec + (<usize>word << 2));
  const len = load<i32>(rec + (<usize>(word + 1) << 2));
  store<u32>(to, <u32>copyIn(at, len));
  store<i32>(to, len, 4);
}

/** Copies the request record at `rec` (the head of the request starting at `offset`), body empty. */
export function copyRequest(rec: usize, offset: u64): usize {
  const r = alloc(RQ_SIZE, 8);
  const flags = load<u32>(rec + (L.REC_FLAGS << 2));
  store<u32>(r + RQ_FLAGS, flags);
  store<u64>(r + RQ_OFFSET, offset);
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
  const fields = alloc(<usize>count * FIELD_SIZE, 4);
  let f = rec + (L.REC_FIELDS << 2);
  for (let i = 0; i < count; i++, f += L.FIELD_WORDS << 2) {
    const o = fields + <usize>i * FIELD_SIZE;
    const nameLen = load<i32>(f, 8);
    const valueLen = load<i32>(f, 16);
    store<u32>(o + FIELD_NAME, <u32>copyIn(load<u32>(f, 4), nameLen));
    store<i32>(o + FIELD_NAME, nameLen, 4);
    store<u32>(o + FIELD_VALUE, <u32>copyIn(load<u32>(f, 12), valueLen));
    store<i32>(o + FIELD_VALUE, valueLen, 4);
  }
  store<i32>(r + RQ_FIELDS, count);
  store<u32>(r + RQ_FIELDS + 4, <u32>fields);
  // The body is appended below as it arrives: nothing else is allocated until it is whole.
  store<u32>(r + RQ_BODY, <u32>alloc(0, 8));
  store<i32>(r + RQ_BODY + 4, 0);
  store<u32>(r + RQ_NEXT, 0);
  return r;
}

/** Appends `len` body bytes from `src` to the copy `r`, keeping its body contiguous. */
export function appendBody(r: usize, src: usize, len: i32): void {
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

/** The address and length of a span of a copy: `r + RQ_METHOD`, ..., `field + FIELD_VALUE`. */
// @ts-ignore: decorator
@inline export function spanAt(at: usize): usize { return <usize>load<u32>(at); }
// @ts-ignore: decorator
@inline export function spanLength(at: usize): i32 { return load<i32>(at, 4); }

/** The copy's header fields: how many, and the `i`th (FIELD_NAME, FIELD_VALUE spans). */
// @ts-ignore: decorator
@inline export function fieldCount(r: usize): i32 { return load<i32>(r + RQ_FIELDS); }
// @ts-ignore: decorator
@inline export function fieldAt(r: usize, i: i32): usize { return <usize>load<u32>(r + RQ_FIELDS + 4) + <usize>i * FIELD_SIZE; }
