// Names every disagreement between the core and llhttp (see compare.mjs) with a short signature,
// and says whether it is one of wasgi's deliberate differences. A difference is deliberate only
// when its rule's check, written from the RFCs (rfc.mjs) rather than from the core, confirms the
// reason on this very input; anything else is unexplained: a bug in the core, or a new class to
// study. docs/FUZZING.md lists the same rules.

import { DEFAULT_LIMITS as LIMITS } from '../dist/src/core.js';
import { llhttpMessageAt } from './llhttp.mjs';
import * as R from './rfc.mjs';

const te = (headers) => R.fieldValues(headers, 'transfer-encoding').flatMap(R.listElements).map((e) => e.toLowerCase());

/**
 * Facts about message `index` of the input, computed on demand: llhttp's offsets for it, its raw
 * head and request line, the bytes between it and the message before, and its chunked body as
 * the RFC reads it.
 */
function context(input, d) {
  const ctx = { input, d };
  const lazy = (name, f) => Object.defineProperty(ctx, name, {
    configurable: true,
    get() {
      const v = f();
      Object.defineProperty(ctx, name, { value: v });
      return v;
    },
  });
  lazy('bytes', () => Buffer.from(input, 'latin1'));
  lazy('at', () => llhttpMessageAt(ctx.bytes, d.index));
  lazy('prev', () => (d.index === 0 ? null : llhttpMessageAt(ctx.bytes, d.index - 1)));
  lazy('begin', () => (ctx.at.begin >= 0 ? ctx.at.begin : d.index === 0 ? 0 : ctx.prev.end));
  lazy('rawHead', () => {
    if (ctx.begin < 0) return '';
    if (ctx.at.headEnd > 0) return input.slice(ctx.begin, ctx.at.headEnd);
    const end = input.indexOf('\r\n\r\n', ctx.begin);
    return input.slice(ctx.begin, end === -1 ? input.length : end + 4);
  });
  lazy('requestLine', () => {
    const h = ctx.rawHead;
    const e = h.indexOf('\n');
    return (e === -1 ? h : h.slice(0, e)).replace(/\r$/, '');
  });
  lazy('gap', () => {
    // the bytes llhttp skipped before this message's first byte
    const prevEnd = d.index === 0 ? 0 : ctx.prev.end;
    return prevEnd >= 0 && ctx.at.begin >= 0 ? input.slice(prevEnd, ctx.at.begin) : '';
  });
  lazy('chunked', () => (ctx.at.headEnd > 0 ? R.readChunked(input, ctx.at.headEnd) : null));
  return ctx;
}

const canonicalLine = (m) => `${m.method} ${m.target} HTTP/${m.major}.${m.minor}`;

/**
 * The deliberate differences. `when` selects the disagreements a rule speaks about (kind, stage,
 * and the core's error name or llhttp's error code/reason), `holds` confirms it on the input.
 * d.w / d.l are the two sides (see compare.mjs); `m` is llhttp's message when it accepted one.
 * `example` is an input the rule explains (checked by test/differential.test.ts).
 */
export const DELIBERATE = [
  {
    id: 'host-required',
    example: 'GET / HTTP/1.1\r\n\r\n',
    title: 'HTTP/1.1 request without Host: wasgi 400, llhttp accepts',
    rfc: 'RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request that lacks a Host header field',
    when: { kind: 'w-rejects', code: ['E_HOST_MISSING'] },
    holds: ({ m }) => m.major === 1 && m.minor >= 1 && R.fieldValues(m.headers, 'host').length === 0,
  },
  {
    id: 'host-single',
    example: 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    title: 'More than one Host field: wasgi 400, llhttp accepts',
    rfc: 'RFC 9112 §3.2: MUST respond 400 to a request with more than one Host header field',
    when: { kind: 'w-rejects', code: ['E_HOST_REPEATED'] },
    holds: ({ m }) => R.fieldValues(m.headers, 'host').length > 1,
  },
  {
    id: 'host-syntax',
    example: 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n',
    title: 'Host value that is not uri-host [ ":" port ]: wasgi 400, llhttp accepts any value',
    rfc: 'RFC 9112 §3.2: MUST respond 400 to a Host header field with an invalid field value (grammar RFC 3986 §3.2.2)',
    when: { kind: 'w-rejects', code: ['E_HOST_INVALID'] },
    holds: ({ m }) => R.fieldValues(m.headers, 'host').some((v) => !R.validHostValue(v)),
  },
  {
    id: 'target-form',
    example: 'GET * HTTP/1.1\r\nHost: a\r\n\r\n',
    title: 'Request-target form not allowed for the method ("*" without OPTIONS, CONNECT without host:port): wasgi 400',
    rfc: 'RFC 9112 §3.2.3 (authority-form only for CONNECT), §3.2.4 (asterisk-form only for OPTIONS); RFC 9110 §9.3.6 (CONNECT needs a port)',
    when: { kind: 'w-rejects', code: ['E_TARGET_FORM'] },
    // wasgi also refuses a CONNECT target starting with "*" (a reg-name may, a host name may not).
    holds: ({ m }) => (m.method === 'CONNECT' ? !R.isAuthorityForm(m.target) || m.target[0] === '*' : m.target === '*' && m.method !== 'OPTIONS'),
  },
  {
    id: 'target-syntax',
    example: 'OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n',
    title: 'Request-target in none of the four forms ("*x", "a:1" with GET, "mailto:a", "http://"): wasgi 400, llhttp accepts',
    rfc: 'RFC 9112 §3.2 (origin-, absolute-, authority-, asterisk-form); RFC 9110 §4.2.1 (http URIs need a non-empty authority)',
    when: { kind: 'w-rejects', code: ['E_TARGET'] },
    holds: ({ m }) => m.target[0] !== '/' && m.target !== '*' && !R.isAbsoluteForm(m.target),
  },
  {
    id: 'target-userinfo',
    example: 'GET http://user@example.com/ HTTP/1.1\r\nHost: a\r\n\r\n',
    title: 'Absolute-form target with userinfo ("http://user@host/"): wasgi 400, llhttp accepts',
    rfc: 'RFC 9110 §4.2.4: a recipient SHOULD parse for userinfo and treat its presence as an error',
    when: { kind: 'w-rejects', code: ['E_TARGET'] },
    holds: ({ m }) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/.test(m.target),
  },
  {
    id: 'percent',
    example: 'GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n',
    title: 'Malformed percent-encoding in the path ("%", "%4", "%zz"): wasgi 400, llhttp does not check',
    rfc: 'RFC 3986 §2.1 pct-encoded = "%" HEXDIG HEXDIG; wasgi decodes PATH_INFO (PEP 3333), so it must be decodable',
    when: { kind: 'w-rejects', code: ['E_PERCENT'] },
    holds: ({ m }) => !R.wellFormedPercent(R.targetPath(m.target)),
  },
  {
    id: 'expect',
    example: 'GET / HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n',
    title: 'Expect other than 100-continue: wasgi 417, llhttp accepts',
    rfc: 'RFC 9110 §10.1.1: a server that receives an Expect field value other than 100-continue MAY respond 417',
    when: { kind: 'w-rejects', code: ['E_EXPECT'] },
    holds: ({ m }) => R.fieldValues(m.headers, 'expect').some((v) => v.toLowerCase() !== '100-continue'),
  },
  {
    id: 'http09',
    example: 'GET /\r\nHost: a\r\n\r\n',
    title: 'Request line without an HTTP-version (HTTP/0.9 simple request): wasgi 400, llhttp accepts it as 0.9',
    rfc: 'RFC 9112 §3: request-line = method SP request-target SP HTTP-version; HTTP/0.9 is not supported',
    when: { kind: 'w-rejects', code: ['E_REQUEST_LINE', 'E_VERSION', 'E_TARGET', 'E_BARE_LF'] },
    holds: ({ m }) => m.major === 0 && m.minor === 9,
  },
  {
    id: 'request-line-spaces',
    example: 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n',
    title: 'Request line with other than exactly one SP between its parts: wasgi 400, llhttp skips extra SP',
    rfc: 'RFC 9112 §3: single SP separators; lenient whitespace parsing "can result in request smuggling"',
    when: { kind: 'w-rejects', code: ['E_REQUEST_LINE', 'E_VERSION', 'E_METHOD', 'E_TARGET'] },
    holds: ({ m, requestLine }) => requestLine !== canonicalLine(m) && requestLine.replace(/ +/g, ' ') === canonicalLine(m),
  },
  {
    id: 'leading-crlf',
    example: '\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    title: 'Bytes before the request line other than whole CRLF lines (a bare LF or a lone CR): wasgi 400, llhttp skips any CR/LF',
    rfc: 'RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) before the request-line; a bare LF or CR is not one',
    when: { kind: 'w-rejects', code: ['E_BARE_LF', 'E_METHOD', 'E_REQUEST_LINE'] },
    holds: ({ gap }) => gap !== '' && /^[\r\n]+$/.test(gap) && !/^(?:\r\n)+$/.test(gap),
  },
  {
    id: 'version-major',
    example: 'GET / HTTP/2.0\r\nHost: a\r\n\r\n',
    title: 'HTTP/0.9 or HTTP/2.0 in the request line: wasgi 505, llhttp accepts the version',
    rfc: 'RFC 9110 §15.6.6: 505 for a major version the server does not support; HTTP/1.1 servers speak major version 1 only',
    when: { kind: 'w-rejects', code: ['E_VERSION_UNSUPPORTED'] },
    holds: ({ m }) => m.major !== 1,
  },
  {
    id: 'version-minor',
    example: 'GET / HTTP/1.2\r\nHost: a\r\n\r\n',
    title: 'HTTP/1.2 to HTTP/1.9: wasgi serves them as HTTP/1.1, llhttp rejects the version',
    rfc: 'RFC 9110 §2.5: a recipient SHOULD process a higher minor version as the highest minor version it implements',
    when: { kind: 'w-accepts', stage: 'head', code: ['HPE_INVALID_VERSION'] },
    holds: ({ requestLine }) => /^[^ ]+ [^ ]+ HTTP\/1\.[2-9]$/.test(requestLine),
  },
  {
    id: 'te-final-chunked',
    example: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n',
    title: 'Transfer-Encoding whose final coding is not chunked: wasgi 400 at the head, llhttp passes the head on and then fails',
    rfc: 'RFC 9112 §6.3 item 4: the server MUST respond 400 and close when chunked is not the final coding of a request',
    when: { kind: 'w-rejects', code: ['E_TE_NOT_CHUNKED'] },
    holds: ({ m }) => { const c = te(m.headers); return c.length > 0 && c[c.length - 1] !== 'chunked'; },
  },
  {
    id: 'te-empty-element',
    example: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n\r\n0\r\n\r\n',
    title: 'Empty element in Transfer-Encoding ("Transfer-Encoding:" plus "Transfer-Encoding: chunked", or ", chunked"): wasgi 400, llhttp reads it as chunked',
    rfc: 'RFC 9110 §5.6.1.2 asks recipients to ignore empty list elements; wasgi refuses them in the one field that decides framing (RFC 9112 §6.3, §11.2 smuggling)',
    when: { kind: 'w-rejects', code: ['E_TE_NOT_CHUNKED'] },
    holds: ({ m }) => { const c = te(m.headers); return c.includes('') && c.filter((x) => x !== '').at(-1) === 'chunked'; },
  },
  {
    id: 'te-unsupported',
    example: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    title: 'A transfer coding other than chunked (gzip, chunked): wasgi 501, llhttp passes the coded body as is',
    rfc: 'RFC 9112 §6.1: a server that receives a transfer coding it does not understand SHOULD respond 501',
    when: { kind: 'w-rejects', code: ['E_TE_UNSUPPORTED'] },
    holds: ({ m }) => { const c = te(m.headers); return c[c.length - 1] === 'chunked' && c.some((x) => x !== 'chunked' && x !== ''); },
  },
  {
    id: 'te-chunked-twice',
    title: 'chunked named twice, the first time with HTAB before the CRLF: wasgi 400, llhttp does not see the first one and reads chunked',
    rfc: 'RFC 9112 §6.1: chunked MUST NOT be applied more than once; RFC 9110 §5.5: the HTAB is OWS, not part of the value',
    example: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    when: { kind: 'w-rejects', code: ['E_TE_CHUNKED_TWICE'] },
    holds: ({ m }) => te(m.headers).filter((x) => x === 'chunked').length > 1,
  },
  {
    id: 'te-http10',
    example: 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    title: 'Transfer-Encoding in an HTTP/1.0 request: wasgi 400, llhttp reads the chunked body',
    rfc: 'RFC 9112 §6.1: a server that receives an HTTP/1.0 message with Transfer-Encoding MUST treat the framing as faulty',
    when: { kind: 'w-rejects', code: ['E_TE_HTTP10'] },
    holds: ({ m }) => m.version === '1.0' && R.fieldValues(m.headers, 'transfer-encoding').length > 0,
  },
  {
    id: 'content-length-digits',
    example: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0000000000000001\r\n\r\nx',
    title: 'Content-Length of more than 15 digits (even 0000000000000005): wasgi 400, llhttp accepts',
    rfc: 'RFC 9110 §8.6: recipients MUST anticipate large numerals and prevent overflow; 15 digits exceed every body limit',
    when: { kind: 'w-rejects', code: ['E_CONTENT_LENGTH'] },
    holds: ({ m }) => R.fieldValues(m.headers, 'content-length').some((v) => /^[0-9]{16,}$/.test(v)),
  },
  {
    id: 'chunk-size-digits',
    example: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\nx\r\n0\r\n\r\n',
    title: 'Chunk size of more than 16 hex digits (even with leading zeros): wasgi 400, llhttp accepts',
    rfc: 'RFC 9112 §7.1: recipients MUST anticipate large hexadecimal numerals and prevent overflow',
    when: { kind: 'w-rejects', stage: 'body', code: ['E_CHUNK_SIZE'] },
    holds: ({ chunked }) => !!chunked && (chunked.sizes ?? []).some((n) => n > 16),
  },
  {
    id: 'limits',
    example: 'GET /' + 'a'.repeat(8200) + ' HTTP/1.1\r\nHost: a\r\n\r\n',
    title: 'Over a configured limit (request line, field line, field count, head, body): wasgi 414/431/413, llhttp (limit raised to 1 MiB) accepts',
    rfc: 'RFC 9112 §3 (414 for a long request line), RFC 6585 §5 (431), RFC 9110 §15.5.14 (413); a chunk-size line over the field line limit is a 400',
    when: { kind: 'w-rejects', code: ['E_REQUEST_LINE_TOO_LONG', 'E_FIELD_TOO_LONG', 'E_TOO_MANY_FIELDS', 'E_HEAD_TOO_LARGE', 'E_BODY_TOO_LARGE', 'E_CHUNK_EXTENSION'] },
    holds: ({ d, m, rawHead, requestLine, input, at, gap }) => {
      const long = (lines) => lines.some((l) => l.length > LIMITS.limitRequestFieldSize);
      // stray CR/LF bytes llhttp skipped before the request line count into wasgi's first line
      const extra = gap.replace(/^(?:\r\n)+/, '').length;
      // chunk-size and trailer lines are held to the field line limit
      const bodyLines = () => (at.headEnd > 0 ? input.slice(at.headEnd, at.end > 0 ? at.end : input.length).split('\r\n') : []);
      switch (d.name) {
        case 'E_REQUEST_LINE_TOO_LONG': return extra + requestLine.length > LIMITS.limitRequestLine;
        case 'E_FIELD_TOO_LONG': return d.stage === 'head' ? long(rawHead.split('\r\n').slice(1)) : long(bodyLines());
        case 'E_CHUNK_EXTENSION': return d.stage === 'body' && long(bodyLines());
        case 'E_TOO_MANY_FIELDS': return m.headers.length > LIMITS.limitRequestFields || m.trailers.length > LIMITS.limitRequestFields;
        case 'E_HEAD_TOO_LARGE': return extra + rawHead.length > LIMITS.limitRequestHead;
        default: return R.fieldValues(m.headers, 'content-length').some((v) => Number(v) > LIMITS.maxBodySize);
      }
    },
  },
  {
    id: 'chunk-ext-syntax',
    example: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\r\nx\r\n0\r\n\r\n',
    title: 'Chunk extension outside the grammar (";", ";=v", ";a=", ";a=b c"): wasgi 400, llhttp accepts',
    rfc: 'RFC 9112 §7.1.1 chunk-ext = *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )',
    when: { kind: 'w-rejects', stage: 'body', code: ['E_CHUNK_EXTENSION'] },
    holds: ({ chunked }) => !!chunked && !chunked.ok && chunked.why === 'chunk-ext',
  },
  {
    id: 'chunk-ext-bws',
    example: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 ;a=b\r\nx\r\n0\r\n\r\n',
    title: 'Whitespace (BWS) around ";" and "=" in chunk extensions: wasgi accepts, llhttp (strict) rejects',
    rfc: 'RFC 9112 §7.1.1 allows BWS before ";" and around "="; wasgi follows the grammar',
    when: { kind: 'w-accepts', stage: 'body', code: ['HPE_INVALID_CHUNK_SIZE', 'HPE_STRICT'] },
    holds: ({ chunked, d }) => !!chunked && chunked.ok && chunked.body === d.w.body && chunked.exts.some((e) => /[ \t]/.test(e)),
  },
  {
    id: 'ows-htab',
    example: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\t\r\n\r\nx',
    title: 'HTAB in the whitespace around a Content-Length or Transfer-Encoding value: wasgi trims it, llhttp rejects',
    rfc: 'RFC 9110 §5.5: OWS (SP / HTAB) around a field value is not part of it; §5.6.3 OWS = *( SP / HTAB )',
    when: { kind: 'w-accepts', code: ['HPE_INVALID_CONTENT_LENGTH', 'HPE_INVALID_TRANSFER_ENCODING'] },
    holds: ({ rawHead }) => /\r\n(?:content-length|transfer-encoding):(?:[ \t]*\t[ \t]*[^\r\n]*|[^\r\n]*[^ \t\r\n][ \t]*\t[ \t]*)\r\n/i.test(rawHead),
  },
  {
    id: 'trailer-fields',
    example: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 5\r\n\r\n',
    title: 'Framing fields in trailers (Transfer-Encoding, Content-Length, Connection): wasgi checks the syntax and ignores them, llhttp acts on them',
    rfc: 'RFC 9110 §6.5.1-§6.5.2: framing fields are not allowed in trailers and MUST NOT be merged into the header section; wasgi discards trailers',
    when: { kind: 'w-accepts', code: ['HPE_INVALID_TRANSFER_ENCODING', 'HPE_INVALID_CONTENT_LENGTH', 'HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_CLOSED_CONNECTION'] },
    holds: ({ d, chunked, prev, input }) => {
      const framing = (trailers) => trailers.some(([n]) => /^(?:transfer-encoding|content-length|connection)$/i.test(n));
      if (d.l.code === 'HPE_CLOSED_CONNECTION') {
        // llhttp took "Connection: close" from the previous message's trailers
        const c = prev && prev.headEnd > 0 ? R.readChunked(input, prev.headEnd) : null;
        return !!c && c.ok && c.trailers.some(([n, v]) => n.toLowerCase() === 'connection' && R.listElements(v).some((x) => x.toLowerCase() === 'close'));
      }
      return !!chunked && chunked.ok && framing(chunked.trailers);
    },
  },
  {
    id: 'connection-list',
    example: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\t\r\n\r\n',
    title: 'Connection read as a list with OWS, "close" winning over "keep-alive": wasgi closes where llhttp keeps the connection (or the reverse)',
    rfc: 'RFC 9110 §7.6.1 Connection = #connection-option (OWS around commas, §5.6.1); RFC 9112 §9.3: "close" ends persistence',
    when: { kind: 'field', field: ['keepAlive'] },
    holds: ({ d }) => {
      const opts = R.fieldValues(d.wm.headers, 'connection').flatMap(R.listElements).map((x) => x.toLowerCase());
      const close = opts.includes('close');
      const expected = d.wm.version === '1.1' ? !close : opts.includes('keep-alive') && !close;
      return d.w === expected;
    },
  },
  {
    id: 'scheme-chars',
    example: 'GET a1+b://x/ HTTP/1.1\r\nHost: a\r\n\r\n',
    title: 'Absolute-form scheme with digits, "+", "-" or ".": wasgi accepts, llhttp allows letters only',
    rfc: 'RFC 3986 §3.1 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )',
    when: { kind: 'w-accepts', stage: 'head', code: ['HPE_INVALID_URL'], reason: /schema/ },
    holds: ({ requestLine }) => {
      const scheme = (requestLine.split(' ')[1] ?? '').split(':')[0];
      return R.SCHEME.test(scheme) && /[0-9+.-]/.test(scheme);
    },
  },
];

/**
 * Disagreements that are wasgi bugs, reported and not fixed yet. Each stays allowed (and counted)
 * until the core is fixed; then delete the entry so the differential test guards the fix.
 */
export const KNOWN_BUGS = [
];

const RULES_BY_ID = new Map([...DELIBERATE, ...KNOWN_BUGS].map((r) => [r.id, r]));
export const ruleById = (id) => RULES_BY_ID.get(id);

/** A short, stable name for a disagreement: kind/stage/detail. */
export function signature(d, errorNames) {
  const base = `${d.kind}/${d.stage}`;
  if (d.kind === 'field') return `${base}/${d.field}`;
  if (d.kind === 'w-rejects') return `${base}/${errorNames[d.w.code] ?? d.w.code}`;
  if (d.kind === 'w-accepts') return `${base}/${d.l.code}: ${d.l.reason}`;
  return base;
}

function selects(when, d) {
  if (when.kind !== d.kind) return false;
  if (when.stage && when.stage !== d.stage) return false;
  if (when.field && !when.field.includes(d.field)) return false;
  if (when.code) {
    const code = d.kind === 'w-rejects' ? d.name : d.kind === 'w-accepts' ? d.l.code : undefined;
    if (!when.code.includes(code)) return false;
  }
  if (when.reason && !(d.kind === 'w-accepts' && when.reason.test(d.l.reason))) return false;
  return true;
}

/**
 * Classifies a 'differ' outcome of compare() on `input`. Returns { signature, verdict, rule }:
 * verdict 'deliberate' (rule: a DELIBERATE id), 'bug' (rule: a KNOWN_BUGS id) or 'unexplained'
 * (rule: null; `failed` lists rules whose check threw, which is a classifier bug).
 */
export function classify(d, input, errorNames) {
  if (d.kind === 'w-rejects') d.name = errorNames[d.w.code];
  const sig = signature(d, errorNames);
  const ctx = context(input, d);
  Object.defineProperty(ctx, 'm', { get: () => (d.kind === 'w-rejects' ? d.l : d.lm) });
  const failed = [];
  for (const [verdict, rules] of [['deliberate', DELIBERATE], ['bug', KNOWN_BUGS]]) {
    for (const rule of rules) {
      if (!selects(rule.when, d)) continue;
      let ok = false;
      try {
        ok = rule.holds(ctx);
      } catch (e) {
        failed.push(`${rule.id}: ${e.message}`);
      }
      if (ok) return { signature: sig, verdict, rule: rule.id };
    }
  }
  return { signature: sig, verdict: 'unexplained', rule: null, failed };
}
