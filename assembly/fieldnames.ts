// Interned field names. The core hands the host a small id for each common header name, so the
// host can use a ready-made environ key ("HTTP_USER_AGENT") instead of building a string. Lookup
// is by length bucket, then a case-insensitive compare eight bytes at a time.

import { CASE_BIT } from "./chars";

export const N_UNKNOWN = 0;
export const N_HOST = 1;
export const N_CONTENT_LENGTH = 2;
export const N_TRANSFER_ENCODING = 3;
export const N_CONNECTION = 4;
export const N_EXPECT = 5;
export const N_CONTENT_TYPE = 6;
export const N_COOKIE = 7;
export const N_TE = 19;
export const N_TRAILER = 20;
export const N_KEEP_ALIVE = 21;
export const N_UPGRADE = 18;
export const N_PROXY_CONNECTION = 43;
export const N_PROXY_AUTHENTICATE = 46;
export const N_PROXY_AUTHORIZATION = 47;
export const N_TRAILERS = 48;
export const N_DATE = 49;
export const N_SERVER = 50;
export const NAME_COUNT = 51;

export function nameOf(id: i32): string {
  switch (id) {
    case 1: return "host";
    case 2: return "content-length";
    case 3: return "transfer-encoding";
    case 4: return "connection";
    case 5: return "expect";
    case 6: return "content-type";
    case 7: return "cookie";
    case 8: return "user-agent";
    case 9: return "accept";
    case 10: return "accept-encoding";
    case 11: return "accept-language";
    case 12: return "cache-control";
    case 13: return "referer";
    case 14: return "origin";
    case 15: return "authorization";
    case 16: return "if-none-match";
    case 17: return "if-modified-since";
    case 18: return "upgrade";
    case 19: return "te";
    case 20: return "trailer";
    case 21: return "keep-alive";
    case 22: return "x-forwarded-for";
    case 23: return "x-forwarded-proto";
    case 24: return "x-forwarded-host";
    case 25: return "x-real-ip";
    case 26: return "x-request-id";
    case 27: return "forwarded";
    case 28: return "pragma";
    case 29: return "range";
    case 30: return "dnt";
    case 31: return "upgrade-insecure-requests";
    case 32: return "sec-fetch-site";
    case 33: return "sec-fetch-mode";
    case 34: return "sec-fetch-dest";
    case 35: return "sec-fetch-user";
    case 36: return "sec-ch-ua";
    case 37: return "sec-ch-ua-mobile";
    case 38: return "sec-ch-ua-platform";
    case 39: return "x-requested-with";
    case 40: return "content-encoding";
    case 41: return "if-match";
    case 42: return "accept-charset";
    case 43: return "proxy-connection";
    case 44: return "priority";
    case 45: return "via";
    case 46: return "proxy-authenticate";
    case 47: return "proxy-authorization";
    case 48: return "trailers";
    case 49: return "date";
    case 50: return "server";
    default: return "";
  }
}

const MAX_LEN = 32;
const PER_LEN = 8;
const BUCKETS = memory.data(MAX_LEN * PER_LEN);
/** Each name's bytes, lowercase, zero-padded to MAX_LEN. */
const NAME_BYTES = memory.data(NAME_COUNT * MAX_LEN);

export function initNames(): void {
  for (let id = 1; id < NAME_COUNT; id++) {
    const name = nameOf(id);
    for (let i = 0; i < name.length; i++) store<u8>(NAME_BYTES + id * MAX_LEN + i, <u8>name.charCodeAt(i));
    let k = 0;
    while (load<u8>(BUCKETS + name.length * PER_LEN + k) != 0) k++;
    if (k == PER_LEN) unreachable(); // a bucket holds PER_LEN names of one length
    store<u8>(BUCKETS + name.length * PER_LEN + k, <u8>id);
  }
}

/** The id of the token `len` bytes at `p`, compared case-insensitively; N_UNKNOWN if none. */
export function internName(p: usize, len: i32): i32 {
  if (len >= MAX_LEN) return N_UNKNOWN;
  const bucket = BUCKETS + len * PER_LEN;
  for (let k = 0; k < PER_LEN; k++) {
    const id = <i32>load<u8>(bucket + k);
    if (id == 0) break;
    if (sameLowercase(p, NAME_BYTES + id * MAX_LEN, len)) return id;
  }
  return N_UNKNOWN;
}

// ORing CASE_BIT lowercases a letter and keeps "-" and digits; no other token byte becomes one of
// those, so for token input the comparison is exact. Eight bytes at a time.
const LOWER: u64 = <u64>CASE_BIT * 0x0101010101010101;

// @ts-ignore: decorator
@inline function sameLowercase(p: usize, name: usize, len: i32): bool {
  let k = 0;
  for (; k + 8 <= len; k += 8) {
    if ((load<u64>(p + k) | LOWER) != load<u64>(name + k)) return false;
  }
  if (k == len) return true;
  const mask = (<u64>1 << (<u64>(len - k) << 3)) - 1;
  return ((load<u64>(p + k) | LOWER) & mask) == load<u64>(name + k);
}
