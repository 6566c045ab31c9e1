// Conformance tables for the wasgi HTTP/1.1 request parser (RFC 9112, strict).
//
// Pure data: no runtime imports, no side effects. Every `input` is a latin-1 byte
// string (one JS char per byte, 0x00-0xFF) with explicit "\r\n" line endings.
// Helpers below only build long inputs and fill in defaults of expected
// requests; every non-default value is written out by hand.

import type * as codes from '../src/contract.generated.js';

export interface ExpectedRequest {
  method: string; // as sent, case preserved
  target: string; // raw request-target as sent (RAW_URI)
  version: '1.0' | '1.1'; // HTTP/1.0 -> '1.0'; HTTP/1.1 and any HTTP/1.x with x>=1 -> '1.1'
  path: string; // PATH_INFO: percent-decoded path as latin-1 (each %XX -> one char code 0xXX)
  query: string; // QUERY_STRING: raw text after the first '?', not decoded ('' if none)
  headers: [string, string][]; // every header field in order, name as sent, value OWS-trimmed
  body: string; // decoded body as latin-1 (chunked bodies de-chunked, trailers NOT included)
  keepAlive: boolean; // RFC 9112 9.3 persistence
}

export interface ValidCase {
  name: string;
  input: string;
  requests: ExpectedRequest[];
}

/** The name of one of the core's error codes (assembly/errors.ts). */
export type ErrorName = Extract<keyof typeof codes, `E_${string}`>;

export interface InvalidCase {
  name: string;
  input: string;
  /** The one error code this failure has (llhttp's tests pin theirs the same way). */
  code: ErrorName;
  status: 400 | 413 | 414 | 417 | 431 | 501 | 505;
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/** Host field line used by most HTTP/1.1 inputs. */
const H = 'Host: example.com\r\n';
/** The matching expected header entry. */
const HH: [string, string] = ['Host', 'example.com'];

/**
 * Expected request with defaults: GET, target '/', HTTP/1.1, path = target,
 * query '', no headers, empty body, keepAlive true for 1.1 / false for 1.0.
 * Cases whose target contains '?' or '%' always give path/query explicitly.
 */
function rq(o: Partial<ExpectedRequest>): ExpectedRequest {
  const version = o.version ?? '1.1';
  const target = o.target ?? '/';
  return {
    method: o.method ?? 'GET',
    target,
    version,
    path: o.path ?? target,
    query: o.query ?? '',
    headers: o.headers ?? [],
    body: o.body ?? '',
    keepAlive: o.keepAlive ?? version === '1.1',
  };
}

// --- limit inputs ----------------------------------------------------------

// Request line "GET /" + 'a'*n + " HTTP/1.1" is 4 + 1 + n + 9 = n + 14 bytes.
const LINE_8192_TARGET = '/' + 'a'.repeat(8178); // 8179 bytes -> line of 8192
const LINE_8193_TARGET = '/' + 'a'.repeat(8179); // 8180 bytes -> line of 8193

// Header line "X-Long: " + value: 8 + n bytes (CRLF not counted).
const HDR_8192_VALUE = 'v'.repeat(8184); // 8 + 8184 = 8192
const HDR_8193_VALUE = 'v'.repeat(8185); // 8 + 8185 = 8193

// N header fields in total: Host plus (N - 1) "X-FNN: v" fields.
function manyFields(total: number): { text: string; list: [string, string][] } {
  let text = H;
  const list: [string, string][] = [HH];
  for (let i = 1; i < total; i++) {
    text += `X-F${i}: v${i}\r\n`;
    list.push([`X-F${i}`, `v${i}`]);
  }
  return { text, list };
}
const FIELDS_100 = manyFields(100);
const FIELDS_101 = manyFields(101);

// Whole-head size. Head = "GET / HTTP/1.1\r\n" (16) + "Host: example.com\r\n" (19)
// + eight fill lines "X-Fill-N: " (10) + value + "\r\n" + final "\r\n" (2).
// Seven fill lines are exactly 8192 bytes (value 8182); the eighth has value `lastValue`.
// total = 16 + 19 + 7 * 8194 + (10 + lastValue + 2) + 2 = 57407 + lastValue
function fillHead(lastValue: number): { text: string; list: [string, string][] } {
  let text = 'GET / HTTP/1.1\r\n' + H;
  const list: [string, string][] = [HH];
  for (let i = 1; i <= 8; i++) {
    const value = (i < 8 ? 'f' : 'g').repeat(i < 8 ? 8182 : lastValue);
    text += `X-Fill-${i}: ${value}\r\n`;
    list.push([`X-Fill-${i}`, value]);
  }
  return { text: text + '\r\n', list };
}
const HEAD_65536 = fillHead(65536 - 57407); // value 8129: head is exactly 65536 bytes
const HEAD_65544 = fillHead(65544 - 57407); // value 8137: head is 65544 bytes (> 65536 even without the final CRLFs)

// --- 16 pipelined requests ---------------------------------------------------

const PIPE16: [string, ExpectedRequest][] = [
  ['GET /1 HTTP/1.1\r\n' + H + '\r\n', rq({ target: '/1', headers: [HH] })],
  ['HEAD /2 HTTP/1.1\r\n' + H + '\r\n', rq({ method: 'HEAD', target: '/2', headers: [HH] })],
  [
    'POST /3 HTTP/1.1\r\n' + H + 'Content-Length: 3\r\n\r\nabc',
    rq({ method: 'POST', target: '/3', headers: [HH, ['Content-Length', '3']], body: 'abc' }),
  ],
  [
    'PUT /4 HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n',
    rq({ method: 'PUT', target: '/4', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'xyz' }),
  ],
  ['OPTIONS * HTTP/1.1\r\n' + H + '\r\n', rq({ method: 'OPTIONS', target: '*', path: '', headers: [HH] })],
  [
    'GET http://example.com/6?q=6 HTTP/1.1\r\n' + H + '\r\n',
    rq({ target: 'http://example.com/6?q=6', path: '/6', query: 'q=6', headers: [HH] }),
  ],
  [
    'GET /7 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
    rq({ target: '/7', version: '1.0', headers: [['Connection', 'keep-alive']], keepAlive: true }),
  ],
  ['DELETE /8%20x HTTP/1.1\r\n' + H + '\r\n', rq({ method: 'DELETE', target: '/8%20x', path: '/8 x', headers: [HH] })],
  ['\r\nGET /9 HTTP/1.1\r\n' + H + '\r\n', rq({ target: '/9', headers: [HH] })],
  [
    'PATCH /10 HTTP/1.1\r\n' + H + 'Content-Length: 0\r\n\r\n',
    rq({ method: 'PATCH', target: '/10', headers: [HH, ['Content-Length', '0']] }),
  ],
  [
    'POST /11 HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n1;a=b\r\nA\r\n0\r\nX-T: 1\r\n\r\n',
    rq({ method: 'POST', target: '/11', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'A' }),
  ],
  [
    'GET /12?a=%41 HTTP/1.1\r\n' + H + 'X-Multi: 1\r\nX-Multi: 2\r\n\r\n',
    rq({ target: '/12?a=%41', path: '/12', query: 'a=%41', headers: [HH, ['X-Multi', '1'], ['X-Multi', '2']] }),
  ],
  ['M-SEARCH /13 HTTP/1.1\r\n' + H + '\r\n', rq({ method: 'M-SEARCH', target: '/13', headers: [HH] })],
  [
    'GET /14 HTTP/1.1\r\n' + H + 'Connection: foo\r\n\r\n',
    rq({ target: '/14', headers: [HH, ['Connection', 'foo']] }),
  ],
  [
    'POST /15 HTTP/1.1\r\n' + H + 'Expect: 100-continue\r\nContent-Length: 2\r\n\r\nok',
    rq({
      method: 'POST',
      target: '/15',
      headers: [HH, ['Expect', '100-continue'], ['Content-Length', '2']],
      body: 'ok',
    }),
  ],
  ['GET /16 HTTP/1.1\r\n' + H + '\r\n', rq({ target: '/16', headers: [HH] })],
];

// ---------------------------------------------------------------------------
// valid cases
// ---------------------------------------------------------------------------

export const validCases: ValidCase[] = [
  // --- basics / versions -----------------------------------------------------
  {
    name: 'simple GET HTTP/1.1 with Host',
    input: 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n',
    requests: [rq({ headers: [HH] })],
  },
  {
    name: 'HTTP/1.0 request without Host is allowed and not persistent',
    input: 'GET /index.html HTTP/1.0\r\n\r\n',
    requests: [rq({ target: '/index.html', version: '1.0', keepAlive: false })],
  },
  {
    name: 'HTTP/1.0 request with a single Host',
    input: 'GET / HTTP/1.0\r\nHost: example.com\r\n\r\n',
    requests: [rq({ version: '1.0', headers: [HH], keepAlive: false })],
  },
  {
    name: 'HTTP/1.2 is reported as 1.1 and persists',
    input: 'GET /a HTTP/1.2\r\n' + H + '\r\nGET /b HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/a', headers: [HH] }), rq({ target: '/b', headers: [HH] })],
  },
  {
    name: 'HTTP/1.9 is reported as 1.1',
    input: 'GET / HTTP/1.9\r\n' + H + '\r\n',
    requests: [rq({ headers: [HH] })],
  },
  {
    name: 'leading empty lines before the request line are skipped',
    input: '\r\n\r\n\r\nGET / HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ headers: [HH] })],
  },
  {
    name: 'empty lines between pipelined requests are skipped',
    input: 'GET /1 HTTP/1.1\r\n' + H + '\r\n\r\n\r\nGET /2 HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/1', headers: [HH] }), rq({ target: '/2', headers: [HH] })],
  },

  // --- pipelining ------------------------------------------------------------
  {
    name: 'three pipelined requests (GET, POST with body, GET)',
    input:
      'GET /first HTTP/1.1\r\n' +
      H +
      '\r\n' +
      'POST /second HTTP/1.1\r\n' +
      H +
      'Content-Length: 5\r\n\r\nhello' +
      'GET /third HTTP/1.1\r\n' +
      H +
      '\r\n',
    requests: [
      rq({ target: '/first', headers: [HH] }),
      rq({ method: 'POST', target: '/second', headers: [HH, ['Content-Length', '5']], body: 'hello' }),
      rq({ target: '/third', headers: [HH] }),
    ],
  },
  {
    name: 'sixteen pipelined requests of mixed shapes',
    input: PIPE16.map(([input]) => input).join(''),
    requests: PIPE16.map(([, expected]) => expected),
  },

  // --- keep-alive --------------------------------------------------------------
  {
    name: 'HTTP/1.0 keep-alive persists; next HTTP/1.0 request without it ends the connection',
    input:
      'GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' +
      'GET /b HTTP/1.0\r\n\r\n' +
      'GET /c HTTP/1.0\r\n\r\n',
    requests: [
      rq({ target: '/a', version: '1.0', headers: [['Connection', 'keep-alive']], keepAlive: true }),
      rq({ target: '/b', version: '1.0', keepAlive: false }),
    ],
  },
  {
    name: 'HTTP/1.0 keep-alive token is case-insensitive',
    input:
      'GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n' + 'GET /b HTTP/1.0\r\nconnection: KEEP-ALIVE\r\n\r\n',
    requests: [
      rq({ target: '/a', version: '1.0', headers: [['Connection', 'Keep-Alive']], keepAlive: true }),
      rq({ target: '/b', version: '1.0', headers: [['connection', 'KEEP-ALIVE']], keepAlive: true }),
    ],
  },
  {
    name: 'HTTP/1.0 keep-alive inside a Connection token list',
    input: 'GET / HTTP/1.0\r\nConnection: foo, keep-alive\r\n\r\n',
    requests: [rq({ version: '1.0', headers: [['Connection', 'foo, keep-alive']], keepAlive: true })],
  },
  {
    name: 'HTTP/1.0 keep-alive in a second Connection field',
    input: 'GET / HTTP/1.0\r\nConnection: foo\r\nConnection: keep-alive\r\n\r\n',
    requests: [
      rq({
        version: '1.0',
        headers: [
          ['Connection', 'foo'],
          ['Connection', 'keep-alive'],
        ],
        keepAlive: true,
      }),
    ],
  },
  {
    name: 'HTTP/1.0 Connection: keep-alives is not the keep-alive token',
    input: 'GET /a HTTP/1.0\r\nConnection: keep-alives\r\n\r\nGET /b HTTP/1.0\r\n\r\n',
    requests: [rq({ target: '/a', version: '1.0', headers: [['Connection', 'keep-alives']], keepAlive: false })],
  },
  {
    name: 'HTTP/1.0 with Content-Length body closes; following bytes ignored',
    input: 'POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.0\r\n\r\n',
    requests: [
      rq({ method: 'POST', version: '1.0', headers: [['Content-Length', '3']], body: 'abc', keepAlive: false }),
    ],
  },
  {
    name: 'HTTP/1.0 keep-alive with Content-Length body then a second request',
    input:
      'POST /a HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi' +
      'GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
    requests: [
      rq({
        method: 'POST',
        target: '/a',
        version: '1.0',
        headers: [
          ['Connection', 'keep-alive'],
          ['Content-Length', '2'],
        ],
        body: 'hi',
        keepAlive: true,
      }),
      rq({ target: '/b', version: '1.0', headers: [['Connection', 'keep-alive']], keepAlive: true }),
    ],
  },
  {
    name: 'HTTP/1.1 Connection: close stops parsing; the next request is ignored',
    input: 'GET /1 HTTP/1.1\r\n' + H + 'Connection: close\r\n\r\nGET /2 HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/1', headers: [HH, ['Connection', 'close']], keepAlive: false })],
  },
  {
    name: 'garbage after a Connection: close request is ignored',
    input: 'GET / HTTP/1.1\r\n' + H + 'Connection: close\r\n\r\n\x00\x01 garbage\n\r\x7f\xff\r\n\r\n',
    requests: [rq({ headers: [HH, ['Connection', 'close']], keepAlive: false })],
  },
  {
    name: 'Connection: CLOSE is case-insensitive',
    input: 'GET / HTTP/1.1\r\n' + H + 'Connection: CLOSE\r\n\r\nGET /x HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ headers: [HH, ['Connection', 'CLOSE']], keepAlive: false })],
  },
  {
    name: 'close anywhere in a Connection list wins over keep-alive',
    input: 'GET / HTTP/1.1\r\n' + H + 'Connection: keep-alive, close\r\n\r\n',
    requests: [rq({ headers: [HH, ['Connection', 'keep-alive, close']], keepAlive: false })],
  },
  {
    name: 'close in a Connection list without spaces',
    input: 'GET / HTTP/1.1\r\n' + H + 'Connection: foo,close,bar\r\n\r\n',
    requests: [rq({ headers: [HH, ['Connection', 'foo,close,bar']], keepAlive: false })],
  },
  {
    name: 'close in a second Connection field',
    input: 'GET / HTTP/1.1\r\n' + H + 'Connection: keep-alive\r\nConnection: close\r\n\r\nGET /x HTTP/1.1\r\n' + H + '\r\n',
    requests: [
      rq({
        headers: [HH, ['Connection', 'keep-alive'], ['Connection', 'close']],
        keepAlive: false,
      }),
    ],
  },
  {
    name: 'close token with OWS and HTAB around list items',
    input: 'GET / HTTP/1.1\r\n' + H + 'Connection:  foo ,\tClose\t\r\n\r\n',
    requests: [rq({ headers: [HH, ['Connection', 'foo ,\tClose']], keepAlive: false })],
  },
  {
    name: 'Connection: closed is not the close token',
    input: 'GET /a HTTP/1.1\r\n' + H + 'Connection: closed\r\n\r\nGET /b HTTP/1.1\r\n' + H + '\r\n',
    requests: [
      rq({ target: '/a', headers: [HH, ['Connection', 'closed']], keepAlive: true }),
      rq({ target: '/b', headers: [HH] }),
    ],
  },
  {
    name: 'Connection: x-close, close-notify contain no close token',
    input: 'GET /a HTTP/1.1\r\n' + H + 'Connection: x-close, close-notify\r\n\r\nGET /b HTTP/1.1\r\n' + H + '\r\n',
    requests: [
      rq({ target: '/a', headers: [HH, ['Connection', 'x-close, close-notify']], keepAlive: true }),
      rq({ target: '/b', headers: [HH] }),
    ],
  },
  {
    name: 'HTTP/1.1 Connection: keep-alive persists',
    input: 'GET / HTTP/1.1\r\n' + H + 'Connection: keep-alive\r\n\r\n',
    requests: [rq({ headers: [HH, ['Connection', 'keep-alive']], keepAlive: true })],
  },

  // --- Content-Length bodies -------------------------------------------------
  {
    name: 'POST with Content-Length body',
    input: 'POST /submit HTTP/1.1\r\n' + H + 'Content-Length: 11\r\n\r\nhello world',
    requests: [
      rq({ method: 'POST', target: '/submit', headers: [HH, ['Content-Length', '11']], body: 'hello world' }),
    ],
  },
  {
    name: 'Content-Length: 0 gives an empty body',
    input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Content-Length', '0']] })],
  },
  {
    name: 'Content-Length with leading zeros',
    input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 0005\r\n\r\nabcde',
    requests: [rq({ method: 'POST', headers: [HH, ['Content-Length', '0005']], body: 'abcde' })],
  },
  {
    name: 'Content-Length value surrounded by SP and HTAB',
    input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: \t 5 \t\r\n\r\nabcde',
    requests: [rq({ method: 'POST', headers: [HH, ['Content-Length', '5']], body: 'abcde' })],
  },
  {
    name: 'Content-Length body with CRLF, NUL and 0xFF bytes',
    input: 'PUT /bin HTTP/1.1\r\n' + H + 'Content-Length: 8\r\n\r\n\r\n\x00\xff\r\n\r\n',
    requests: [
      rq({ method: 'PUT', target: '/bin', headers: [HH, ['Content-Length', '8']], body: '\r\n\x00\xff\r\n\r\n' }),
    ],
  },
  {
    name: 'Content-Length body that looks like a request line is not parsed',
    input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 16\r\n\r\nGET / HTTP/1.1\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Content-Length', '16']], body: 'GET / HTTP/1.1\r\n' })],
  },
  {
    name: 'GET with a Content-Length body',
    input: 'GET /q HTTP/1.1\r\n' + H + 'Content-Length: 4\r\n\r\nbody',
    requests: [rq({ target: '/q', headers: [HH, ['Content-Length', '4']], body: 'body' })],
  },
  {
    name: 'POST without Content-Length or Transfer-Encoding has no body',
    input: 'POST /a HTTP/1.1\r\n' + H + '\r\nGET /b HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ method: 'POST', target: '/a', headers: [HH] }), rq({ target: '/b', headers: [HH] })],
  },

  // --- chunked bodies ---------------------------------------------------------
  {
    name: 'chunked body with a single chunk',
    input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'hello' })],
  },
  {
    name: 'chunked body with multiple chunks',
    input:
      'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'hello world!' })],
  },
  {
    name: 'chunk sizes in upper-case hex',
    input:
      'POST / HTTP/1.1\r\n' +
      H +
      'Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n1F\r\n' +
      'b'.repeat(31) +
      '\r\n0\r\n\r\n',
    requests: [
      rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: '0123456789' + 'b'.repeat(31) }),
    ],
  },
  {
    name: 'chunk sizes in lower-case and mixed-case hex',
    input:
      'POST / HTTP/1.1\r\n' +
      H +
      'Transfer-Encoding: chunked\r\n\r\nff\r\n' +
      'x'.repeat(255) +
      '\r\naB\r\n' +
      'y'.repeat(171) +
      '\r\nc\r\nabcdefghijkl\r\n0\r\n\r\n',
    requests: [
      rq({
        method: 'POST',
        headers: [HH, ['Transfer-Encoding', 'chunked']],
        body: 'x'.repeat(255) + 'y'.repeat(171) + 'abcdefghijkl',
      }),
    ],
  },
  {
    name: 'chunk size with 16 hex digits (leading zeros)',
    input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n0000000000000005\r\nhello\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'hello' })],
  },
  {
    name: 'zero-length chunked body',
    input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']] })],
  },
  {
    name: 'last chunk written with 16 zero digits',
    input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0000000000000000\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'abc' })],
  },
  {
    name: 'chunk data containing CRLF and binary bytes',
    input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n6\r\n\r\n\x00\xff\r\n\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: '\r\n\x00\xff\r\n' })],
  },
  {
    name: 'chunk extension name=token',
    input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n5;foo=bar\r\nhello\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'hello' })],
  },
  {
    name: 'chunk extension with name only',
    input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n5;foo\r\nhello\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'hello' })],
  },
  {
    name: 'chunk extension with quoted-string value containing SP and quoted-pairs',
    input:
      'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n5;name="va lue \\"q\\" \\\\"\r\nhello\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'hello' })],
  },
  {
    name: 'chunk extension with empty quoted-string and obs-text in quoted-string',
    input:
      'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n5;a="";b="caf\xe9"\r\nhello\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'hello' })],
  },
  {
    name: 'chunk extensions with BWS around ; and =',
    input:
      'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n5 ; foo = bar ;\tbaz\t=\t"q"\r\nhello\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'hello' })],
  },
  {
    name: 'several chunk extensions on one chunk',
    input:
      'POST / HTTP/1.1\r\n' +
      H +
      "Transfer-Encoding: chunked\r\n\r\n5;a=1;b;c=\"x\";!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n",
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'hello' })],
  },
  {
    name: 'chunk extension on the last chunk',
    input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0;done=yes\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'ok' })],
  },
  {
    name: 'trailer field is neither in the body nor in the headers',
    input:
      'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0\r\nExpires: never\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'Wiki' })],
  },
  {
    name: 'several trailers including an empty value and obs-text',
    input:
      'POST / HTTP/1.1\r\n' +
      H +
      'Transfer-Encoding: chunked\r\nTrailer: X-A, X-B, X-C\r\n\r\n' +
      '3\r\nabc\r\n0\r\nX-A: 1\r\nX-B:\r\nx-c:  caf\xe9 \r\n\r\n',
    requests: [
      rq({
        method: 'POST',
        headers: [HH, ['Transfer-Encoding', 'chunked'], ['Trailer', 'X-A, X-B, X-C']],
        body: 'abc',
      }),
    ],
  },
  {
    name: 'Transfer-Encoding value Chunked is case-insensitive',
    input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: Chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['Transfer-Encoding', 'Chunked']], body: 'z' })],
  },
  {
    name: 'Transfer-Encoding CHUNKED with surrounding OWS and lower-case field name',
    input: 'POST / HTTP/1.1\r\n' + H + 'transfer-encoding: \t CHUNKED \t\r\n\r\n1\r\nz\r\n0\r\n\r\n',
    requests: [rq({ method: 'POST', headers: [HH, ['transfer-encoding', 'CHUNKED']], body: 'z' })],
  },
  {
    name: 'chunked request followed by a pipelined request',
    input:
      'POST /a HTTP/1.1\r\n' +
      H +
      'Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
      'GET /b HTTP/1.1\r\n' +
      H +
      '\r\n',
    requests: [
      rq({ method: 'POST', target: '/a', headers: [HH, ['Transfer-Encoding', 'chunked']], body: 'abc' }),
      rq({ target: '/b', headers: [HH] }),
    ],
  },
  {
    name: 'chunked request with Connection: close ignores the rest',
    input:
      'POST / HTTP/1.1\r\n' +
      H +
      'Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
      'GET /ignored HTTP/1.1\r\n' +
      H +
      '\r\n',
    requests: [
      rq({
        method: 'POST',
        headers: [HH, ['Connection', 'close'], ['Transfer-Encoding', 'chunked']],
        body: 'abc',
        keepAlive: false,
      }),
    ],
  },

  // --- request-target forms ------------------------------------------------
  {
    name: 'absolute-form with path and query',
    input: 'GET http://example.com/foo/bar?baz=1&q=2 HTTP/1.1\r\n' + H + '\r\n',
    requests: [
      rq({ target: 'http://example.com/foo/bar?baz=1&q=2', path: '/foo/bar', query: 'baz=1&q=2', headers: [HH] }),
    ],
  },
  {
    name: 'absolute-form without path gives path /',
    input: 'GET http://example.com HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: 'http://example.com', path: '/', headers: [HH] })],
  },
  {
    name: 'absolute-form without path but with query',
    input: 'GET http://example.com?x=1 HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: 'http://example.com?x=1', path: '/', query: 'x=1', headers: [HH] })],
  },
  {
    name: 'absolute-form with port, percent-decoded path and raw query',
    input: 'POST http://example.com:8080/a%20b?c%20d HTTP/1.1\r\n' + H + 'Content-Length: 0\r\n\r\n',
    requests: [
      rq({
        method: 'POST',
        target: 'http://example.com:8080/a%20b?c%20d',
        path: '/a b',
        query: 'c%20d',
        headers: [HH, ['Content-Length', '0']],
      }),
    ],
  },
  {
    name: 'absolute-form with unusual scheme characters and upper-case scheme',
    input:
      'GET coap+tcp-2.x://example.com/p HTTP/1.1\r\n' + H + '\r\n' + 'GET HTTPS://EXAMPLE.COM/Q HTTP/1.1\r\n' + H + '\r\n',
    requests: [
      rq({ target: 'coap+tcp-2.x://example.com/p', path: '/p', headers: [HH] }),
      rq({ target: 'HTTPS://EXAMPLE.COM/Q', path: '/Q', headers: [HH] }),
    ],
  },
  {
    name: 'authority-form with CONNECT',
    input: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    requests: [
      rq({ method: 'CONNECT', target: 'example.com:443', path: '', headers: [['Host', 'example.com:443']] }),
    ],
  },
  {
    name: 'authority-form with CONNECT to an IPv4 address',
    input: 'CONNECT 127.0.0.1:8080 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n',
    requests: [
      rq({ method: 'CONNECT', target: '127.0.0.1:8080', path: '', headers: [['Host', '127.0.0.1:8080']] }),
    ],
  },
  {
    name: 'asterisk-form with OPTIONS',
    input: 'OPTIONS * HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ method: 'OPTIONS', target: '*', path: '', headers: [HH] })],
  },
  {
    name: 'OPTIONS with origin-form',
    input: 'OPTIONS /resource HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ method: 'OPTIONS', target: '/resource', headers: [HH] })],
  },
  {
    name: 'origin-form with sub-delims and other visible ASCII',
    input: "GET /a/b;c=d/!$&'()*+,:@~-._/\"<>{}|\\^` HTTP/1.1\r\n" + H + '\r\n',
    requests: [rq({ target: "/a/b;c=d/!$&'()*+,:@~-._/\"<>{}|\\^`", headers: [HH] })],
  },
  {
    name: 'target /? has empty query',
    input: 'GET /? HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/?', path: '/', query: '', headers: [HH] })],
  },

  // --- percent-decoding / query ------------------------------------------------
  {
    name: 'percent-decoding %20 in the path',
    input: 'GET /hello%20world HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/hello%20world', path: '/hello world', headers: [HH] })],
  },
  {
    name: 'percent-decoding with lower-case and upper-case hex gives latin-1 chars',
    input: 'GET /caf%c3%a9/%C3%A9/%e9 HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/caf%c3%a9/%C3%A9/%e9', path: '/caf\xc3\xa9/\xc3\xa9/\xe9', headers: [HH] })],
  },
  {
    name: 'percent-decoding %2F, %25 and single decoding of %252F',
    input: 'GET /a%2Fb/%25/%252F HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/a%2Fb/%25/%252F', path: '/a/b/%/%2F', headers: [HH] })],
  },
  {
    name: 'percent-decoding %00, %80 and %FF',
    input: 'GET /%00%80%ff%FF HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/%00%80%ff%FF', path: '/\x00\x80\xff\xff', headers: [HH] })],
  },
  {
    name: 'plus sign in the path is not decoded',
    input: 'GET /a+b%2Bc HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/a+b%2Bc', path: '/a+b+c', headers: [HH] })],
  },
  {
    name: 'query string is not decoded (even invalid escapes)',
    input: 'GET /p?a=%zz&b=%&c=%20+d HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/p?a=%zz&b=%&c=%20+d', path: '/p', query: 'a=%zz&b=%&c=%20+d', headers: [HH] })],
  },
  {
    name: 'query string starts after the first ?',
    input: 'GET /p%3Fq?a?b=c? HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/p%3Fq?a?b=c?', path: '/p?q', query: 'a?b=c?', headers: [HH] })],
  },
  {
    name: 'trailing ? gives empty query',
    input: 'GET /p? HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: '/p?', path: '/p', query: '', headers: [HH] })],
  },

  // --- methods ------------------------------------------------------------------
  {
    name: 'lower-case method is preserved',
    input: 'get / HTTP/1.1\r\n' + H + '\r\n' + 'Post / HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ method: 'get', headers: [HH] }), rq({ method: 'Post', headers: [HH] })],
  },
  {
    name: 'extension methods M-SEARCH and PROPFIND',
    input: 'M-SEARCH / HTTP/1.1\r\n' + H + '\r\n' + 'PROPFIND /dav HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ method: 'M-SEARCH', headers: [HH] }), rq({ method: 'PROPFIND', target: '/dav', headers: [HH] })],
  },
  {
    name: 'method made of every tchar symbol',
    input: "!#$%&'*+-.^_`|~ / HTTP/1.1\r\n" + H + '\r\n',
    requests: [rq({ method: "!#$%&'*+-.^_`|~", headers: [HH] })],
  },
  {
    name: 'numeric and mixed token methods',
    input: '123 / HTTP/1.1\r\n' + H + '\r\n' + 'X.Y_z~1 / HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ method: '123', headers: [HH] }), rq({ method: 'X.Y_z~1', headers: [HH] })],
  },

  // --- header fields -----------------------------------------------------------
  {
    name: 'header names made of unusual tchars',
    input: "GET / HTTP/1.1\r\n" + H + "X!#$%&'*+-.^_`|~Z: sym\r\n1: one\r\n\r\n",
    requests: [rq({ headers: [HH, ["X!#$%&'*+-.^_`|~Z", 'sym'], ['1', 'one']] })],
  },
  {
    name: 'header name case is preserved',
    input: 'GET / HTTP/1.1\r\nhOsT: example.com\r\ncontent-TYPE: text/plain\r\nX-UPPER: A\r\n\r\n',
    requests: [
      rq({
        headers: [
          ['hOsT', 'example.com'],
          ['content-TYPE', 'text/plain'],
          ['X-UPPER', 'A'],
        ],
      }),
    ],
  },
  {
    name: 'empty and whitespace-only header values',
    input: 'GET / HTTP/1.1\r\n' + H + 'X-Empty:\r\nX-Spaces:   \t  \r\nX-After: 1\r\n\r\n',
    requests: [
      rq({
        headers: [HH, ['X-Empty', ''], ['X-Spaces', ''], ['X-After', '1']],
      }),
    ],
  },
  {
    name: 'Host with an empty value',
    input: 'GET / HTTP/1.1\r\nHost:\r\n\r\n',
    requests: [rq({ headers: [['Host', '']] })],
  },
  {
    name: 'value OWS is trimmed, inner SP and HTAB are kept',
    input: 'GET / HTTP/1.1\r\n' + H + 'X-Pad: \t  a  b \t c \t \r\nX-NoSpace:tight\r\n\r\n',
    requests: [rq({ headers: [HH, ['X-Pad', 'a  b \t c'], ['X-NoSpace', 'tight']] })],
  },
  {
    name: 'obs-text bytes 0x80-0xFF in header values',
    input: 'GET / HTTP/1.1\r\n' + H + 'X-Latin: caf\xe9\r\nX-High: \x80\xa0\xff\r\nX-Mix: a\xffb \xfe\r\n\r\n',
    requests: [
      rq({
        headers: [HH, ['X-Latin', 'caf\xe9'], ['X-High', '\x80\xa0\xff'], ['X-Mix', 'a\xffb \xfe']],
      }),
    ],
  },
  {
    name: 'header values with every visible ASCII punctuation character',
    input: 'GET / HTTP/1.1\r\n' + H + 'X-Chars: !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~\r\nX-Time: 12:34:56\r\n\r\n',
    requests: [
      rq({
        headers: [HH, ['X-Chars', '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'], ['X-Time', '12:34:56']],
      }),
    ],
  },
  {
    name: 'colon inside the value after a valid name',
    input: 'GET / HTTP/1.1\r\n' + H + 'X:Y: z\r\n\r\n',
    requests: [rq({ headers: [HH, ['X', 'Y: z']] })],
  },
  {
    name: 'repeated header fields are listed separately in order',
    input: 'GET / HTTP/1.1\r\nAccept: a\r\n' + H + 'X-Dup: 1\r\nAccept: b\r\naccept: c\r\nX-Dup: 2\r\n\r\n',
    requests: [
      rq({
        headers: [['Accept', 'a'], HH, ['X-Dup', '1'], ['Accept', 'b'], ['accept', 'c'], ['X-Dup', '2']],
      }),
    ],
  },

  // --- Expect -------------------------------------------------------------------
  {
    name: 'Expect: 100-continue with a Content-Length body',
    input: 'PUT /up HTTP/1.1\r\n' + H + 'Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
    requests: [
      rq({
        method: 'PUT',
        target: '/up',
        headers: [HH, ['Expect', '100-continue'], ['Content-Length', '3']],
        body: 'abc',
      }),
    ],
  },
  {
    name: 'Expect: 100-continue is case-insensitive and OWS-trimmed',
    input:
      'POST /a HTTP/1.1\r\n' +
      H +
      'Expect:  100-Continue \r\nContent-Length: 1\r\n\r\nx' +
      'GET /b HTTP/1.1\r\n' +
      H +
      'EXPECT: 100-CONTINUE\r\n\r\n',
    requests: [
      rq({
        method: 'POST',
        target: '/a',
        headers: [HH, ['Expect', '100-Continue'], ['Content-Length', '1']],
        body: 'x',
      }),
      rq({ target: '/b', headers: [HH, ['EXPECT', '100-CONTINUE']] }),
    ],
  },
  {
    name: 'Expect: 100-continue with a chunked body',
    input:
      'POST / HTTP/1.1\r\n' + H + 'Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n',
    requests: [
      rq({
        method: 'POST',
        headers: [HH, ['Expect', '100-continue'], ['Transfer-Encoding', 'chunked']],
        body: 'hi',
      }),
    ],
  },

  // --- limits (exactly at the limit is fine) ---------------------------------
  {
    name: 'request line of exactly 8192 bytes',
    input: 'GET ' + LINE_8192_TARGET + ' HTTP/1.1\r\n' + H + '\r\n',
    requests: [rq({ target: LINE_8192_TARGET, headers: [HH] })],
  },
  {
    name: 'header line of exactly 8192 bytes',
    input: 'GET / HTTP/1.1\r\n' + H + 'X-Long: ' + HDR_8192_VALUE + '\r\n\r\n',
    requests: [rq({ headers: [HH, ['X-Long', HDR_8192_VALUE]] })],
  },
  {
    name: 'exactly 100 header fields',
    input: 'GET / HTTP/1.1\r\n' + FIELDS_100.text + '\r\n',
    requests: [rq({ headers: FIELDS_100.list })],
  },
  {
    name: 'whole head of exactly 65536 bytes',
    input: HEAD_65536.text,
    requests: [rq({ headers: HEAD_65536.list })],
  },
];

// ---------------------------------------------------------------------------
// invalid cases
// ---------------------------------------------------------------------------

const TE = 'Transfer-Encoding: chunked\r\n';
/** POST head with chunked Transfer-Encoding; append the chunked body. */
const CHUNKED_HEAD = 'POST / HTTP/1.1\r\n' + H + TE + '\r\n';

export const invalidCases: InvalidCase[] = [
  // --- request line syntax -------------------------------------------------------
  { name: 'two SP between method and target', input: 'GET  / HTTP/1.1\r\n' + H + '\r\n', code: 'E_REQUEST_LINE', status: 400 },
  { name: 'two SP between target and version', input: 'GET /  HTTP/1.1\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'leading SP before the method', input: ' GET / HTTP/1.1\r\n' + H + '\r\n', code: 'E_REQUEST_LINE', status: 400 },
  { name: 'trailing SP after the version', input: 'GET / HTTP/1.1 \r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'extra token after the version', input: 'GET / HTTP/1.1 extra\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'HTAB used as request-line separator', input: 'GET\t/\tHTTP/1.1\r\n' + H + '\r\n', code: 'E_METHOD', status: 400 },
  { name: 'method containing @', input: 'GE@T / HTTP/1.1\r\n' + H + '\r\n', code: 'E_METHOD', status: 400 },
  { name: 'method containing a DQUOTE', input: 'G"T / HTTP/1.1\r\n' + H + '\r\n', code: 'E_METHOD', status: 400 },
  { name: 'method containing ( and )', input: 'G(E)T / HTTP/1.1\r\n' + H + '\r\n', code: 'E_METHOD', status: 400 },
  { name: 'method containing a comma', input: 'GET, / HTTP/1.1\r\n' + H + '\r\n', code: 'E_METHOD', status: 400 },
  { name: 'method containing an obs-text byte', input: 'G\xe9T / HTTP/1.1\r\n' + H + '\r\n', code: 'E_METHOD', status: 400 },
  { name: 'missing request-target', input: 'GET HTTP/1.1\r\n' + H + '\r\n', code: 'E_REQUEST_LINE', status: 400 },
  { name: 'missing HTTP-version', input: 'GET /\r\n' + H + '\r\n', code: 'E_REQUEST_LINE', status: 400 },
  { name: 'request line with only a method', input: 'GET\r\n' + H + '\r\n', code: 'E_REQUEST_LINE', status: 400 },
  { name: 'request-target containing SP', input: 'GET /a b HTTP/1.1\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'request-target containing HTAB', input: 'GET /a\tb HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'request-target containing a control byte', input: 'GET /a\x01b HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'request-target containing NUL', input: 'GET /a\x00b HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'request-target containing DEL', input: 'GET /a\x7fb HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'request-target containing a byte >= 0x80', input: 'GET /caf\xe9 HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'garbage line instead of a request line', input: 'hello\r\n' + H + '\r\n', code: 'E_REQUEST_LINE', status: 400 },

  // --- request-target forms ----------------------------------------------------
  { name: 'GET with a relative target foo', input: 'GET foo HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'GET with a target starting with ?', input: 'GET ?q=1 HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'asterisk-form with GET', input: 'GET * HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET_FORM', status: 400 },
  { name: 'asterisk-form with POST', input: 'POST * HTTP/1.1\r\n' + H + 'Content-Length: 0\r\n\r\n', code: 'E_TARGET_FORM', status: 400 },
  { name: 'asterisk-form with CONNECT', input: 'CONNECT * HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET_FORM', status: 400 },
  { name: 'OPTIONS with *x is not asterisk-form', input: 'OPTIONS *x HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'CONNECT with origin-form', input: 'CONNECT /x HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET_FORM', status: 400 },
  { name: 'authority-form with GET', input: 'GET example.com:80 HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'CONNECT authority without a port', input: 'CONNECT example.com HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET_FORM', status: 400 },
  { name: 'absolute-form scheme starting with a digit', input: 'GET 1http://example.com/ HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'absolute-form with empty scheme', input: 'GET ://example.com/ HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'absolute-form missing //', input: 'GET http:/example.com/ HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'absolute-form authority with a backquote', input: 'GET http://`.b/ HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'absolute-form authority with a fragment mark', input: 'GET http://#a.b/c?d HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'absolute-form port followed by junk', input: 'GET http://a:80#80/x HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'absolute-form with userinfo', input: 'GET http://user@example.com/ HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'absolute-form with a non-numeric port', input: 'GET http://a:b/ HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'absolute-form with an unclosed IP literal', input: 'GET http://[::1/ HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },
  { name: 'absolute-form with an empty host and a port', input: 'GET http://:80/ HTTP/1.1\r\n' + H + '\r\n', code: 'E_TARGET', status: 400 },

  // --- percent-decoding --------------------------------------------------------
  { name: 'lone % at end of path', input: 'GET /a% HTTP/1.1\r\n' + H + '\r\n', code: 'E_PERCENT', status: 400 },
  { name: 'truncated %4 escape before the query', input: 'GET /a%4?x=1 HTTP/1.1\r\n' + H + '\r\n', code: 'E_PERCENT', status: 400 },
  { name: 'non-hex first digit in escape %G1', input: 'GET /%G1 HTTP/1.1\r\n' + H + '\r\n', code: 'E_PERCENT', status: 400 },
  { name: 'non-hex second digit in escape %4g', input: 'GET /%4g HTTP/1.1\r\n' + H + '\r\n', code: 'E_PERCENT', status: 400 },
  { name: 'double %% in path', input: 'GET /a%%20 HTTP/1.1\r\n' + H + '\r\n', code: 'E_PERCENT', status: 400 },
  { name: 'bad escape in absolute-form path', input: 'GET http://example.com/%zz HTTP/1.1\r\n' + H + '\r\n', code: 'E_PERCENT', status: 400 },

  // --- HTTP-version --------------------------------------------------------------
  { name: 'lower-case http/1.1', input: 'GET / http/1.1\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'mixed-case Http/1.1', input: 'GET / Http/1.1\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'version HTTP/1 without minor', input: 'GET / HTTP/1\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'version HTTP/1.10 with two minor digits', input: 'GET / HTTP/1.10\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'version HTTP/11 without dot', input: 'GET / HTTP/11\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'version HTTP/10.0 with two major digits', input: 'GET / HTTP/10.0\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'version HTTP/1.x with non-digit minor', input: 'GET / HTTP/1.x\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'version HTTPS/1.1', input: 'GET / HTTPS/1.1\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'version with SP after slash', input: 'GET / HTTP/ 1.1\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'HTTP/2.0 is not supported', input: 'GET / HTTP/2.0\r\n' + H + '\r\n', code: 'E_VERSION_UNSUPPORTED', status: 505 },
  { name: 'HTTP/0.9 is not supported', input: 'GET / HTTP/0.9\r\n' + H + '\r\n', code: 'E_VERSION_UNSUPPORTED', status: 505 },
  { name: 'HTTP/3.0 is not supported', input: 'GET / HTTP/3.0\r\n' + H + '\r\n', code: 'E_VERSION_UNSUPPORTED', status: 505 },
  { name: 'HTTP/9.1 is not supported', input: 'GET / HTTP/9.1\r\n' + H + '\r\n', code: 'E_VERSION_UNSUPPORTED', status: 505 },

  // --- line endings ------------------------------------------------------------
  { name: 'request line ended by bare LF', input: 'GET / HTTP/1.1\n' + H + '\r\n', code: 'E_BARE_LF', status: 400 },
  { name: 'request line ended by CR CR LF', input: 'GET / HTTP/1.1\r\r\n' + H + '\r\n', code: 'E_VERSION', status: 400 },
  { name: 'header line ended by bare LF', input: 'GET / HTTP/1.1\r\nHost: example.com\nX: y\r\n\r\n', code: 'E_BARE_LF', status: 400 },
  { name: 'end of head marked by bare LF', input: 'GET / HTTP/1.1\r\n' + H + '\n', code: 'E_BARE_LF', status: 400 },
  { name: 'bare LF as leading empty line', input: '\nGET / HTTP/1.1\r\n' + H + '\r\n', code: 'E_BARE_LF', status: 400 },
  { name: 'bare CR inside a header value', input: 'GET / HTTP/1.1\r\n' + H + 'X: a\rb\r\n\r\n', code: 'E_BARE_CR', status: 400 },
  { name: 'bare LF inside a header value', input: 'GET / HTTP/1.1\r\n' + H + 'X: a\nb\r\n\r\n', code: 'E_BARE_LF', status: 400 },

  // --- field-line syntax -------------------------------------------------------
  { name: 'SP between field name and colon', input: 'GET / HTTP/1.1\r\nHost : example.com\r\n\r\n', code: 'E_FIELD_SPACE_BEFORE_COLON', status: 400 },
  { name: 'HTAB between field name and colon', input: 'GET / HTTP/1.1\r\n' + H + 'X-A\t: 1\r\n\r\n', code: 'E_FIELD_SPACE_BEFORE_COLON', status: 400 },
  { name: 'empty field name', input: 'GET / HTTP/1.1\r\n' + H + ': value\r\n\r\n', code: 'E_FIELD_NAME', status: 400 },
  { name: 'field name containing SP', input: 'GET / HTTP/1.1\r\n' + H + 'X A: 1\r\n\r\n', code: 'E_FIELD_NAME', status: 400 },
  { name: 'field name containing @', input: 'GET / HTTP/1.1\r\n' + H + 'X@A: 1\r\n\r\n', code: 'E_FIELD_NAME', status: 400 },
  { name: 'field name containing a DQUOTE', input: 'GET / HTTP/1.1\r\n' + H + 'X"A: 1\r\n\r\n', code: 'E_FIELD_NAME', status: 400 },
  { name: 'field name containing /', input: 'GET / HTTP/1.1\r\n' + H + 'X/A: 1\r\n\r\n', code: 'E_FIELD_NAME', status: 400 },
  { name: 'field name containing { and }', input: 'GET / HTTP/1.1\r\n' + H + 'X{A}: 1\r\n\r\n', code: 'E_FIELD_NAME', status: 400 },
  { name: 'field name containing =', input: 'GET / HTTP/1.1\r\n' + H + 'X=A: 1\r\n\r\n', code: 'E_FIELD_NAME', status: 400 },
  { name: 'field name containing an obs-text byte', input: 'GET / HTTP/1.1\r\n' + H + 'X-Caf\xe9: 1\r\n\r\n', code: 'E_FIELD_NAME', status: 400 },
  { name: 'field name containing NUL', input: 'GET / HTTP/1.1\r\n' + H + 'X\x00A: 1\r\n\r\n', code: 'E_FIELD_NAME', status: 400 },
  { name: 'field line without a colon', input: 'GET / HTTP/1.1\r\n' + H + 'NoColonHere\r\n\r\n', code: 'E_FIELD_NO_COLON', status: 400 },
  { name: 'obs-fold continuation line with SP', input: 'GET / HTTP/1.1\r\n' + H + 'X-A: one\r\n two\r\n\r\n', code: 'E_OBS_FOLD', status: 400 },
  { name: 'obs-fold continuation line with HTAB', input: 'GET / HTTP/1.1\r\n' + H + 'X-A: one\r\n\ttwo\r\n\r\n', code: 'E_OBS_FOLD', status: 400 },
  { name: 'whitespace before the first field line', input: 'GET / HTTP/1.1\r\n Host: example.com\r\n\r\n', code: 'E_OBS_FOLD', status: 400 },
  { name: 'NUL in a field value', input: 'GET / HTTP/1.1\r\n' + H + 'X: a\x00b\r\n\r\n', code: 'E_FIELD_VALUE', status: 400 },
  { name: 'control 0x01 in a field value', input: 'GET / HTTP/1.1\r\n' + H + 'X: a\x01b\r\n\r\n', code: 'E_FIELD_VALUE', status: 400 },
  { name: 'vertical tab in a field value', input: 'GET / HTTP/1.1\r\n' + H + 'X: a\x0bb\r\n\r\n', code: 'E_FIELD_VALUE', status: 400 },
  { name: 'form feed in a field value', input: 'GET / HTTP/1.1\r\n' + H + 'X: a\x0cb\r\n\r\n', code: 'E_FIELD_VALUE', status: 400 },
  { name: 'control 0x1F in a field value', input: 'GET / HTTP/1.1\r\n' + H + 'X: a\x1fb\r\n\r\n', code: 'E_FIELD_VALUE', status: 400 },
  { name: 'DEL in a field value', input: 'GET / HTTP/1.1\r\n' + H + 'X: a\x7fb\r\n\r\n', code: 'E_FIELD_VALUE', status: 400 },
  { name: 'control byte as leading value byte', input: 'GET / HTTP/1.1\r\n' + H + 'X: \x1bb\r\n\r\n', code: 'E_FIELD_VALUE', status: 400 },

  // --- Host ----------------------------------------------------------------------
  { name: 'HTTP/1.1 without Host', input: 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n', code: 'E_HOST_MISSING', status: 400 },
  { name: 'HTTP/1.1 with two Host fields', input: 'GET / HTTP/1.1\r\n' + H + H + '\r\n', code: 'E_HOST_REPEATED', status: 400 },
  { name: 'HTTP/1.1 with Host and host (names are case-insensitive)', input: 'GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n', code: 'E_HOST_REPEATED', status: 400 },
  { name: 'HTTP/1.1 with two empty Host fields', input: 'GET / HTTP/1.1\r\nHost:\r\nHost:\r\n\r\n', code: 'E_HOST_REPEATED', status: 400 },
  { name: 'HTTP/1.0 with two Host fields', input: 'GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n', code: 'E_HOST_REPEATED', status: 400 },

  // --- Content-Length --------------------------------------------------------------
  { name: 'Content-Length with a plus sign', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: +5\r\n\r\nhello', code: 'E_CONTENT_LENGTH', status: 400 },
  { name: 'Content-Length negative', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: -1\r\n\r\n', code: 'E_CONTENT_LENGTH', status: 400 },
  { name: 'Content-Length in hex', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 0x5\r\n\r\nhello', code: 'E_CONTENT_LENGTH', status: 400 },
  { name: 'Content-Length with SP inside', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 1 0\r\n\r\n0123456789', code: 'E_CONTENT_LENGTH', status: 400 },
  { name: 'Content-Length list 5, 5', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 5, 5\r\n\r\nhello', code: 'E_CONTENT_LENGTH', status: 400 },
  { name: 'Content-Length list 5,5', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 5,5\r\n\r\nhello', code: 'E_CONTENT_LENGTH', status: 400 },
  { name: 'Content-Length empty', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length:\r\n\r\n', code: 'E_CONTENT_LENGTH', status: 400 },
  { name: 'Content-Length not a number', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: abc\r\n\r\n', code: 'E_CONTENT_LENGTH', status: 400 },
  { name: 'Content-Length with decimal point', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 5.0\r\n\r\nhello', code: 'E_CONTENT_LENGTH', status: 400 },
  { name: 'two equal Content-Length fields', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello', code: 'E_CONTENT_LENGTH_REPEATED', status: 400 },
  { name: 'two different Content-Length fields', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 5\r\ncontent-length: 6\r\n\r\nhello!', code: 'E_CONTENT_LENGTH_REPEATED', status: 400 },
  { name: 'Content-Length then Transfer-Encoding', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 5\r\n' + TE + '\r\n5\r\nhello\r\n0\r\n\r\n', code: 'E_CONTENT_LENGTH_WITH_TE', status: 400 },
  { name: 'Transfer-Encoding then Content-Length', input: 'POST / HTTP/1.1\r\n' + H + TE + 'Content-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n', code: 'E_CONTENT_LENGTH_WITH_TE', status: 400 },
  { name: 'Content-Length one above 16 MiB', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 16777217\r\n\r\n', code: 'E_BODY_TOO_LARGE', status: 413 },
  { name: 'Content-Length too long to represent (26 digits) is malformed', input: 'POST / HTTP/1.1\r\n' + H + 'Content-Length: 99999999999999999999999999\r\n\r\n', code: 'E_CONTENT_LENGTH', status: 400 },

  // --- Transfer-Encoding ----------------------------------------------------------
  { name: 'Transfer-Encoding in an HTTP/1.0 request', input: 'POST / HTTP/1.0\r\n' + TE + '\r\n5\r\nhello\r\n0\r\n\r\n', code: 'E_TE_HTTP10', status: 400 },
  { name: 'Transfer-Encoding gzip without chunked', input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: gzip\r\n\r\n', code: 'E_TE_NOT_CHUNKED', status: 400 },
  { name: 'Transfer-Encoding chunked, gzip (chunked not final)', input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked, gzip\r\n\r\n', code: 'E_TE_NOT_CHUNKED', status: 400 },
  { name: 'Transfer-Encoding empty value', input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding:\r\n\r\n', code: 'E_TE_NOT_CHUNKED', status: 400 },
  { name: 'Transfer-Encoding chunkedx', input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunkedx\r\n\r\n', code: 'E_TE_NOT_CHUNKED', status: 400 },
  { name: 'Transfer-Encoding chunked named twice in one field', input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n', code: 'E_TE_CHUNKED_TWICE', status: 400 },
  { name: 'Transfer-Encoding chunked in two fields', input: 'POST / HTTP/1.1\r\n' + H + TE + TE + '\r\n0\r\n\r\n', code: 'E_TE_CHUNKED_TWICE', status: 400 },
  { name: 'Transfer-Encoding gzip, chunked is not implemented', input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', code: 'E_TE_UNSUPPORTED', status: 501 },
  { name: 'Transfer-Encoding deflate ,\tchunked with OWS is not implemented', input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: deflate ,\tchunked\r\n\r\n0\r\n\r\n', code: 'E_TE_UNSUPPORTED', status: 501 },
  { name: 'Transfer-Encoding GZIP,Chunked (case-insensitive) is not implemented', input: 'POST / HTTP/1.1\r\n' + H + 'Transfer-Encoding: GZIP,Chunked\r\n\r\n0\r\n\r\n', code: 'E_TE_UNSUPPORTED', status: 501 },

  // --- chunk size line -----------------------------------------------------------
  { name: 'chunk size with 0x prefix', input: CHUNKED_HEAD + '0x5\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_SIZE', status: 400 },
  { name: 'chunk size with + sign', input: CHUNKED_HEAD + '+5\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_SIZE', status: 400 },
  { name: 'chunk size with - sign', input: CHUNKED_HEAD + '-5\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_SIZE', status: 400 },
  { name: 'chunk size with leading SP', input: CHUNKED_HEAD + ' 5\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_SIZE', status: 400 },
  { name: 'chunk size with leading HTAB', input: CHUNKED_HEAD + '\t5\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_SIZE', status: 400 },
  { name: 'chunk size with trailing SP and no extension', input: CHUNKED_HEAD + '5 \r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'empty chunk size line', input: CHUNKED_HEAD + '\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_SIZE', status: 400 },
  { name: 'chunk size with non-hex letter', input: CHUNKED_HEAD + 'g\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_SIZE', status: 400 },
  { name: 'chunk size with 17 hex digits', input: CHUNKED_HEAD + '00000000000000005\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_SIZE', status: 400 },
  { name: 'chunk size line ended by bare LF', input: CHUNKED_HEAD + '5\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_LINE_END', status: 400 },
  { name: 'chunk size of 16 hex digits above the body limit', input: CHUNKED_HEAD + 'FFFFFFFFFFFFFFFF\r\n', code: 'E_BODY_TOO_LARGE', status: 413 },
  { name: 'chunk size one byte above 16 MiB', input: CHUNKED_HEAD + '1000001\r\n', code: 'E_BODY_TOO_LARGE', status: 413 },

  // --- chunk extensions --------------------------------------------------------
  { name: 'chunk extension with empty name', input: CHUNKED_HEAD + '5;\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension list ending with ;', input: CHUNKED_HEAD + '5;a=b;\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension with = but no name', input: CHUNKED_HEAD + '5;=v\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension with = but no value', input: CHUNKED_HEAD + '5;a=\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension with ==', input: CHUNKED_HEAD + '5;a==b\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension value with SP inside token', input: CHUNKED_HEAD + '5;a=b c\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension name with non-token char', input: CHUNKED_HEAD + '5;a@b=1\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension with unterminated quoted-string', input: CHUNKED_HEAD + '5;a="b\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension with junk after quoted-string', input: CHUNKED_HEAD + '5;a="b"c\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension with control byte in token', input: CHUNKED_HEAD + '5;a=b\x01\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension with NUL in quoted-string', input: CHUNKED_HEAD + '5;a="b\x00"\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },
  { name: 'chunk extension without ; separator', input: CHUNKED_HEAD + '5 a=b\r\nhello\r\n0\r\n\r\n', code: 'E_CHUNK_EXTENSION', status: 400 },

  // --- chunk data framing ------------------------------------------------------
  { name: 'chunk data followed by extra byte', input: CHUNKED_HEAD + '5\r\nhelloX\r\n0\r\n\r\n', code: 'E_CHUNK_DATA_END', status: 400 },
  { name: 'chunk data shorter than the chunk size', input: CHUNKED_HEAD + '5\r\nhell\r\n0\r\n\r\n', code: 'E_CHUNK_DATA_END', status: 400 },
  { name: 'chunk data followed by bare LF', input: CHUNKED_HEAD + '5\r\nhello\n0\r\n\r\n', code: 'E_CHUNK_DATA_END', status: 400 },
  { name: 'chunk data followed by bare CR', input: CHUNKED_HEAD + '5\r\nhello\r0\r\n\r\n', code: 'E_CHUNK_DATA_END', status: 400 },
  { name: 'last chunk line ended by bare LF', input: CHUNKED_HEAD + '0\n\r\n', code: 'E_CHUNK_LINE_END', status: 400 },
  { name: 'end of trailer section marked by bare LF', input: CHUNKED_HEAD + '0\r\n\n', code: 'E_BARE_LF', status: 400 },
  { name: 'missing final CRLF: next request line read as a trailer', input: CHUNKED_HEAD + '0\r\nGET / HTTP/1.1\r\n' + H + '\r\n', code: 'E_TRAILER', status: 400 },

  // --- trailers ------------------------------------------------------------------
  { name: 'trailer without colon', input: CHUNKED_HEAD + '0\r\nNoColon\r\n\r\n', code: 'E_TRAILER', status: 400 },
  { name: 'trailer with SP before colon', input: CHUNKED_HEAD + '0\r\nX-T : 1\r\n\r\n', code: 'E_TRAILER', status: 400 },
  { name: 'trailer with empty name', input: CHUNKED_HEAD + '0\r\n: 1\r\n\r\n', code: 'E_TRAILER', status: 400 },
  { name: 'trailer with obs-fold', input: CHUNKED_HEAD + '0\r\nX-T: 1\r\n 2\r\n\r\n', code: 'E_TRAILER', status: 400 },
  { name: 'trailer with control byte in value', input: CHUNKED_HEAD + '0\r\nX-T: a\x00b\r\n\r\n', code: 'E_TRAILER', status: 400 },
  { name: 'trailer line ended by bare LF', input: CHUNKED_HEAD + '0\r\nX-T: 1\n\r\n', code: 'E_BARE_LF', status: 400 },

  // --- Expect ------------------------------------------------------------------------
  { name: 'Expect with an unknown value', input: 'GET / HTTP/1.1\r\n' + H + 'Expect: foo\r\n\r\n', code: 'E_EXPECT', status: 417 },
  { name: 'Expect 100-continue followed by another expectation', input: 'POST / HTTP/1.1\r\n' + H + 'Expect: 100-continue, foo\r\nContent-Length: 0\r\n\r\n', code: 'E_EXPECT', status: 417 },
  { name: 'Expect with a truncated 100-continu', input: 'POST / HTTP/1.1\r\n' + H + 'Expect: 100-continu\r\nContent-Length: 0\r\n\r\n', code: 'E_EXPECT', status: 417 },
  { name: 'Expect 200-ok', input: 'POST / HTTP/1.1\r\n' + H + 'Expect: 200-ok\r\nContent-Length: 0\r\n\r\n', code: 'E_EXPECT', status: 417 },

  // --- limits ----------------------------------------------------------------------
  { name: 'request line of 8193 bytes', input: 'GET ' + LINE_8193_TARGET + ' HTTP/1.1\r\n' + H + '\r\n', code: 'E_REQUEST_LINE_TOO_LONG', status: 414 },
  { name: 'request line far over the limit without any CRLF yet', input: 'GET /' + 'a'.repeat(20000), code: 'E_REQUEST_LINE_TOO_LONG', status: 414 },
  { name: 'header line of 8193 bytes', input: 'GET / HTTP/1.1\r\n' + H + 'X-Long: ' + HDR_8193_VALUE + '\r\n\r\n', code: 'E_FIELD_TOO_LONG', status: 431 },
  { name: '101 header fields', input: 'GET / HTTP/1.1\r\n' + FIELDS_101.text + '\r\n', code: 'E_TOO_MANY_FIELDS', status: 431 },
  { name: 'whole head of 65544 bytes', input: HEAD_65544.text, code: 'E_HEAD_TOO_LARGE', status: 431 },

  // --- framing between requests --------------------------------------------------------
  {
    name: 'body without Content-Length is parsed as the next request line',
    input: 'POST / HTTP/1.1\r\n' + H + '\r\nhello world\r\n' + H + '\r\n',
    code: 'E_REQUEST_LINE', status: 400,
  },
  {
    name: 'valid first request followed by an invalid one',
    input: 'GET /ok HTTP/1.1\r\n' + H + '\r\nGET /bad HTTP/1.1\r\nX-A: 1\r\n\r\n',
    code: 'E_HOST_MISSING', status: 400,
  },
];
