// The parser as a component (wit/wasgi.wit): the core module's export `parse` follows the
// component model's canonical ABI, lowered here by hand since AssemblyScript has no bindings
// generator; `jco embed` and `jco new --wasi-reactor` make it build/wasgi-parser.component.wasm.
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

import * as L from "../layout";
import * as D from "./driver";
import { alloc, mark, release } from "./region";
import { RQ_FLAGS, RQ_OFFSET, RQ_METHOD, RQ_TARGET, RQ_PATH, RQ_QUERY, RQ_BODY, RQ_NEXT, FIELD_NAME, FIELD_VALUE, FIELD_SIZE, fieldAt, fieldCount, spanAt, spanLength } from "./request";
import { latin1Utf8Length, latin1ToUtf8, textToUtf8, MAX_UTF8 } from "./utf8";

const W_REQUEST: usize = 72;
const W_RESULT: usize = 40;

// @ts-ignore: decorator
@lazy const V10: usize = memory.data<u8>([0x31, 0x2e, 0x30]);
// @ts-ignore: decorator
@lazy const V11: usize = memory.data<u8>([0x31, 0x2e, 0x31]);

/** Where the input list was allocated: results are laid out after it and freed in post-return. */
let callMark: usize = 0;
let inCall = false;

function startCall(): void {
  D.setup();
  if (!inCall) { callMark = mark(); inCall = true; }
}

export function cabi_realloc(oldPtr: usize, oldSize: usize, align: usize, newSize: usize): usize {
  startCall();
  const p = alloc(newSize, align);
  if (oldPtr != 0 && oldSize != 0) memory.copy(p, oldPtr, min(oldSize, newSize));
  return p;
}

/** A latin-1 span of a request copy as a canonical string: the same bytes when ASCII, else a UTF-8 copy. */
function lowerLatin1(at: usize, span: usize): void {
  const p = spanAt(span), len = spanLength(span);
  const n = latin1Utf8Length(p, len);
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
  const count = D.doneCount;
  const list = alloc(<usize>count * W_REQUEST, 8);
  let r = D.doneHead;
  for (let i = 0; i < count; i++, r = load<u32>(r + RQ_NEXT)) {
    const o = list + <usize>i * W_REQUEST;
    const flags = load<u32>(r + RQ_FLAGS);
    lowerLatin1(o, r + RQ_METHOD);
    lowerLatin1(o + 8, r + RQ_TARGET);
    store<u32>(o + 16, <u32>((flags & L.F_HTTP11) != 0 ? V11 : V10));
    store<u32>(o + 20, 3);
    lowerLatin1(o + 24, r + RQ_PATH);
    lowerLatin1(o + 32, r + RQ_QUERY);
    const fields = fieldCount(r);
    const headers = alloc(<usize>fields * FIELD_SIZE, 4);
    for (let j = 0; j < fields; j++) {
      const h = headers + <usize>j * FIELD_SIZE;
      lowerLatin1(h, fieldAt(r, j) + FIELD_NAME);
      lowerLatin1(h + 8, fieldAt(r, j) + FIELD_VALUE);
    }
    store<u32>(o + 40, <u32>headers);
    store<u32>(o + 44, <u32>fields);
    store<u32>(o + 48, <u32>spanAt(r + RQ_BODY));
    store<u32>(o + 52, <u32>spanLength(r + RQ_BODY));
    store<u8>(o + 56, (flags & L.F_KEEP_ALIVE) != 0 ? 1 : 0);
    store<u64>(o + 64, load<u64>(r + RQ_OFFSET));
  }
  return list;
}

export function parse(ptr: usize, len: i32): usize {
  startCall();
  D.parseAll(ptr, len);
  const result = alloc(W_RESULT, 8);
  const list = lowerRequests();
  if (!D.failed) {
    store<u8>(result, 0);
    store<u32>(result + 8, <u32>list);
    store<u32>(result + 12, <u32>D.doneCount);
  } else {
    store<u8>(result, 1);
    const e = result + 8;
    store<u16>(e, <u16>D.errorCode);
    store<u16>(e + 2, <u16>D.statusOf(D.errorCode));
    const reason = D.reasonOf(D.errorCode);
    const text = alloc(<usize>(reason.length * MAX_UTF8), 1);
    store<u32>(e + 4, <u32>text);
    store<u32>(e + 8, <u32>(textToUtf8(text, reason) - text));
    store<u64>(e + 16, D.errorOffset);
    store<u32>(e + 24, <u32>list);
    store<u32>(e + 28, <u32>D.doneCount);
  }
  return result;
}

/** The host has read the result: everything allocated for this call is freed. */
export function cabi_post_parse(result: usize): void {
  if (inCall) release(callMark);
  inCall = false;
}
