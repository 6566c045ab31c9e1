// Node's own HTTP/1.1 parser (llhttp, through the internal binding node:http uses), in its default
// strict mode, run over the same bytes as the core. Reports every complete message the way the
// core's driver does, the head of a message whose body did not end, and how the bytes ended: an
// error, bytes still awaited, or a protocol switch (Upgrade, CONNECT).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { HTTPParser, methods } = require('_http_common');
export const LLHTTP_VERSION = process.versions.llhttp;

/** llhttp's own head limit, set far above the core's (64 KiB) so only the core's limits apply. */
const MAX_HEADER_SIZE = 1 << 20;

const parser = new HTTPParser();
let state;

function reset() {
  state = { messages: [], current: null, headers: [], url: '', begun: 0 };
}

parser[HTTPParser.kOnMessageBegin] = () => {
  state.begun++;
};
parser[HTTPParser.kOnHeaders] = (headers, url) => {
  // Before the head is complete: a flush of a long header list. After it: trailers.
  if (state.current) {
    for (let i = 0; i < headers.length; i += 2) state.current.trailers.push([headers[i], headers[i + 1]]);
  } else {
    for (let i = 0; i < headers.length; i++) state.headers.push(headers[i]);
    state.url += url;
  }
};
parser[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url, _status, _message, upgrade, keepAlive) => {
  const flat = headers ?? state.headers;
  const list = [];
  for (let i = 0; i < flat.length; i += 2) list.push([flat[i], flat[i + 1]]);
  state.current = {
    method: methodNames[method] ?? `#${method}`,
    methodNumber: method,
    target: url ?? state.url,
    major,
    minor,
    version: major === 1 && minor === 0 ? '1.0' : major === 1 ? '1.1' : `${major}.${minor}`,
    headers: list,
    body: [],
    trailers: [],
    keepAlive: !!keepAlive,
    upgrade: !!upgrade,
  };
  state.headers = [];
  state.url = '';
  return 0;
};
parser[HTTPParser.kOnBody] = (chunk) => {
  state.current.body.push(Buffer.from(chunk));
};
parser[HTTPParser.kOnMessageComplete] = () => {
  const m = state.current;
  m.body = Buffer.concat(m.body).toString('latin1');
  state.messages.push(m);
  state.current = null;
};
parser[HTTPParser.kOnExecute] = () => {};

/**
 * Parses `bytes` as a stream of requests. Returns
 *   messages: every complete message ({ method, target, version, major, minor, headers, body,
 *             trailers, keepAlive, upgrade })
 *   partial:  the message after them if its head was complete (body as received so far), or null
 *   error:    { code, reason, at } when llhttp refused the bytes
 *   upgraded: the last message switched protocols; llhttp parsed no further
 */
export function llhttpParse(bytes) {
  reset();
  parser.initialize(HTTPParser.REQUEST, {}, MAX_HEADER_SIZE, HTTPParser.kLenientNone ?? 0);
  const r = parser.execute(bytes);
  const partial = state.current;
  if (partial) partial.body = Buffer.concat(partial.body).toString('latin1');
  const result = { messages: state.messages, partial, upgraded: false, error: undefined };
  if (r instanceof Error) {
    result.error = { code: r.code, reason: r.reason, at: r.bytesParsed };
  } else {
    const last = state.messages[state.messages.length - 1];
    result.upgraded = !partial && !!last && last.upgrade;
  }
  return result;
}

// The method argument of kOnHeadersComplete is llhttp's own method number. The binding's `methods`
// list is not indexed by it for every method (QUERY), so learn the numbers by parsing each name.
const methodNames = [];
for (const name of methods) {
  const { messages } = llhttpParse(Buffer.from(`${name} ${name === 'CONNECT' ? 'a:1' : '/'} HTTP/1.1\r\n\r\n`));
  if (messages.length === 1) methodNames[messages[0].methodNumber] = name;
}

/** The methods llhttp parses as requests (an input with any other method is outside its reach). */
export const METHODS = methodNames.filter((m) => m !== undefined);

/** How far llhttp gets in the first `k` bytes: messages begun, heads complete, messages complete. */
function progress(bytes, k) {
  reset();
  parser.initialize(HTTPParser.REQUEST, {}, MAX_HEADER_SIZE, HTTPParser.kLenientNone ?? 0);
  parser.execute(bytes.subarray(0, k));
  const complete = state.messages.length;
  return { begun: state.begun, heads: complete + (state.current ? 1 : 0), complete };
}

/** The least k in [0, n] with pred(k), for a pred monotone in k; n + 1 when there is none. */
function least(n, pred) {
  let lo = 0;
  let hi = n + 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (mid <= n && pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Where llhttp sees message `index` of `bytes`: { begin, headEnd, end } offsets, each -1 when it
 * never gets there. Found by bisecting on prefixes (what llhttp makes of a prefix is a prefix of
 * what it makes of the whole); only used to explain a disagreement.
 */
export function llhttpMessageAt(bytes, index) {
  const n = bytes.length;
  const at = (field) => {
    const k = least(n, (k) => progress(bytes, k)[field] > index);
    return k > n ? -1 : k;
  };
  const begun = at('begun');
  return { begin: begun < 0 ? -1 : begun - 1, headEnd: at('heads'), end: at('complete') };
}
