// A third opinion for the classifier: small, independent checks written from the RFC grammar
// (RFC 9110, RFC 9112, RFC 3986), not from the core's code. A disagreement is called deliberate
// only when these checks confirm the reason the stricter side gave.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UNRESERVED = "A-Za-z0-9\\-._~";
const SUB_DELIMS = "!$&'()*+,;=";
const PCT = '%[0-9A-Fa-f]{2}';
const REG_NAME = `(?:[${UNRESERVED}${SUB_DELIMS}]|${PCT})*`;
const IPV6ISH = '[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*';
const IPVFUTURE = `[vV][0-9A-Fa-f]+\\.[${UNRESERVED}${SUB_DELIMS}:]+`;
const URI_HOST = `(?:\\[(?:${IPV6ISH}|${IPVFUTURE})\\]|${REG_NAME})`;
const PCHAR = `(?:[${UNRESERVED}${SUB_DELIMS}:@]|${PCT})`;

/** RFC 9110 §5.6.2 token. */
export const isToken = (s) => TOKEN.test(s);

/** RFC 9112 §3.2 / RFC 9110 §7.2: Host = uri-host [ ":" port ]. */
const HOST_VALUE = new RegExp(`^${URI_HOST}(?::[0-9]*)?$`);
export const validHostValue = (v) => HOST_VALUE.test(v);

/**
 * RFC 9112 §3.2.3 authority-form = uri-host ":" port, with the host and port a CONNECT tunnel
 * needs (RFC 9110 §9.3.6: "the host name and port number of the tunnel destination").
 */
const AUTHORITY_FORM = new RegExp(`^${URI_HOST}:[0-9]+$`);
export const isAuthorityForm = (t) => AUTHORITY_FORM.test(t) && t[0] !== ':';

/** RFC 3986 §3.1 scheme. */
export const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/**
 * RFC 9112 §3.2.2 absolute-form for an http(s)-like URI: scheme "://" authority path-abempty
 * [ "?" query ], with a non-empty host (RFC 9110 §4.2.1: an empty host is invalid).
 */
const ABSOLUTE_FORM = new RegExp(`^[A-Za-z][A-Za-z0-9+.-]*://(?:(?:[${UNRESERVED}${SUB_DELIMS}:]|${PCT})*@)?${URI_HOST}(?::[0-9]*)?(?:/${PCHAR}*)*(?:\\?(?:${PCHAR}|[/?])*)?$`);
export const isAbsoluteForm = (t) => ABSOLUTE_FORM.test(t) && !/^[^:]*:\/\/(?:[^@/?]*@)?(?::|\/|\?|$)/.test(t);

/** The path part of a request-target (origin- or absolute-form), for percent checks. */
export function targetPath(t) {
  let p = t;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(t);
  if (scheme) p = t.slice(scheme[0].length);
  const q = p.indexOf('?');
  return q === -1 ? p : p.slice(0, q);
}

/** RFC 3986 §2.1: every "%" starts "%" HEXDIG HEXDIG. */
export const wellFormedPercent = (s) => !/%(?![0-9A-Fa-f]{2})/.test(s);

/** RFC 9110 §5.6.1 list elements: split on ",", trim OWS, keep empty elements as "". */
export const listElements = (v) => v.split(',').map((e) => e.replace(/^[ \t]+|[ \t]+$/g, ''));

/** All values of a field (case-insensitive name) in a [name, value] list. */
export const fieldValues = (headers, name) => headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);

/** RFC 9110 §5.5 field-value: field-vchar / SP / HTAB, without leading or trailing OWS. */
const FIELD_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\x21-\x7e\x80-\xff \t]*[\x21-\x7e\x80-\xff])?)?$/;

/** RFC 9112 §5 field-line = field-name ":" OWS field-value OWS (no CR, LF). */
export function parseFieldLine(line) {
  const colon = line.indexOf(':');
  if (colon <= 0 || !isToken(line.slice(0, colon))) return null;
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
  return FIELD_VALUE.test(value) ? [line.slice(0, colon), value] : null;
}

const QUOTED_STRING = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const TOKEN_SRC = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
/** RFC 9112 §7.1.1 chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ). */
const CHUNK_EXT = new RegExp(`^(?:[ \\t]*;[ \\t]*${TOKEN_SRC}(?:[ \\t]*=[ \\t]*(?:${TOKEN_SRC}|${QUOTED_STRING}))?)*$`);
export const validChunkExt = (s) => CHUNK_EXT.test(s);

/**
 * RFC 9112 §7.1 chunked-body, read from `s` (latin-1) at `start`. Returns { ok: true, body, end,
 * sizes: hex digit counts, exts: extension strings, trailers: [name, value][] } or
 * { ok: false, why, at } where `why` names the rule broken (with `sizes` for 'chunk-ext'), or
 * { ok: false, why: 'incomplete' }.
 */
export function readChunked(s, start) {
  let p = start;
  let body = '';
  const sizes = [];
  const exts = [];
  for (;;) {
    const eol = s.indexOf('\r\n', p);
    const lf = s.indexOf('\n', p);
    if (lf !== -1 && (eol === -1 || lf < eol + 1)) return { ok: false, why: 'bare-lf', at: lf };
    if (eol === -1) return { ok: false, why: 'incomplete', at: s.length };
    const line = s.slice(p, eol);
    if (line.includes('\r')) return { ok: false, why: 'bare-cr', at: p + line.indexOf('\r') };
    const m = /^([0-9A-Fa-f]+)(.*)$/.exec(line);
    if (!m) return { ok: false, why: 'chunk-size', at: p };
    sizes.push(m[1].length);
    // sizes go with the failure too: a size line can break both rules, and wasgi checks digits first
    if (!validChunkExt(m[2])) return { ok: false, why: 'chunk-ext', at: p, sizes };
    exts.push(m[2]);
    const size = parseInt(m[1], 16);
    p = eol + 2;
    if (size === 0) break;
    if (p + size + 2 > s.length) return { ok: false, why: 'incomplete', at: s.length };
    body += s.slice(p, p + size);
    p += size;
    if (s.slice(p, p + 2) !== '\r\n') return { ok: false, why: 'chunk-data-end', at: p };
    p += 2;
  }
  const trailers = [];
  for (;;) {
    const eol = s.indexOf('\r\n', p);
    const lf = s.indexOf('\n', p);
    if (lf !== -1 && (eol === -1 || lf < eol + 1)) return { ok: false, why: 'bare-lf', at: lf };
    if (eol === -1) return { ok: false, why: 'incomplete', at: s.length };
    if (eol === p) return { ok: true, body, end: eol + 2, sizes, exts, trailers };
    const line = s.slice(p, eol);
    if (line.includes('\r')) return { ok: false, why: 'bare-cr', at: p + line.indexOf('\r') };
    if (line[0] === ' ' || line[0] === '\t') return { ok: false, why: 'obs-fold', at: p };
    const field = parseFieldLine(line);
    if (!field) return { ok: false, why: 'trailer-field', at: p };
    trailers.push(field);
    p = eol + 2;
  }
}

function percentDecode(s) {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * PATH_INFO and QUERY_STRING as PEP 3333 and RFC 9112 §3.2 derive them from a request-target the
 * server accepted: the percent-decoded path (an empty absolute-form path is "/"; asterisk- and
 * authority-form have none) and the raw text after the first "?".
 */
export function expectedPathQuery(method, target) {
  if (method === 'CONNECT' || target === '*') return { path: '', query: '' };
  let rest = target;
  const abs = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(target);
  if (abs) rest = target.slice(abs[0].length);
  const q = rest.indexOf('?');
  const path = q === -1 ? rest : rest.slice(0, q);
  return { path: path === '' ? '/' : percentDecode(path), query: q === -1 ? '' : rest.slice(q + 1) };
}
