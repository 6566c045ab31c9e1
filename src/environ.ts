// Builds the PEP 3333 environ from the core's request record. Header names arrive as interned
// ids with ready-made keys. The head is copied out of the window once, as one latin-1 string, and
// every other string is a substring of it: one native call per request instead of one per value.

import type { Core } from './core.js';
import { F_HTTP11, F_PERCENT, REC_FLAGS, REC_HEAD, REC_METHOD, REC_TARGET, REC_PATH, REC_QUERY, REC_FIELD_COUNT, REC_FIELDS, FIELD_WORDS } from './core.js';
import type { Environ, ErrorStream, FileWrapper, InputStream } from './types.js';

/** What the environ takes from the server and the connection rather than the request. */
export interface EnvironContext {
  serverName: string;
  serverPort: string;
  remoteAddr: string;
  remotePort: string;
  urlScheme: string;
  multiprocess: boolean;
  errors: ErrorStream;
  fileWrapper: FileWrapper;
}

const VERSION: [1, 0] = Object.freeze([1, 0]) as [1, 0];
const COOKIE = 'HTTP_COOKIE';

/** Environ keys by interned field id: "user-agent" -> "HTTP_USER_AGENT". */
export function environKeys(fieldNames: string[]): string[] {
  return fieldNames.map((name) => (name === '' ? '' : environKey(name)));
}

/** The CGI key of a header field name; null for names with "_" (ambiguous with "-"). */
export function environKey(name: string): string {
  const key = name.toUpperCase().replace(/-/g, '_');
  return key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH' ? key : `HTTP_${key}`;
}

const unknownKeys = new Map<string, string | null>();

function keyOfUnknown(name: string): string | null {
  let key = unknownKeys.get(name);
  if (key === undefined) {
    key = name.includes('_') ? null : environKey(name);
    if (unknownKeys.size < 4096) unknownKeys.set(name, key);
  }
  return key;
}

export function buildEnviron(core: Core, keys: string[], conn: number, ctx: EnvironContext, input: InputStream): Environ {
  const w = core.words;
  const rec = core.recordWord(conn);
  const flags = w[rec + REC_FLAGS];
  const base = w[rec + REC_HEAD];
  const head = core.latin1(base, w[rec + REC_HEAD + 1]);
  const environ: Environ = {
    REQUEST_METHOD: head.substring(0, w[rec + REC_METHOD + 1]),
    SCRIPT_NAME: '',
    PATH_INFO: flags & F_PERCENT ? core.decodePath(conn) : pathOf(core, head, base, w[rec + REC_PATH], w[rec + REC_PATH + 1]),
    QUERY_STRING: span(head, base, w[rec + REC_QUERY], w[rec + REC_QUERY + 1]),
    SERVER_NAME: ctx.serverName,
    SERVER_PORT: ctx.serverPort,
    SERVER_PROTOCOL: flags & F_HTTP11 ? 'HTTP/1.1' : 'HTTP/1.0',
    REMOTE_ADDR: ctx.remoteAddr,
    REMOTE_PORT: ctx.remotePort,
    RAW_URI: span(head, base, w[rec + REC_TARGET], w[rec + REC_TARGET + 1]),
    'wsgi.version': VERSION,
    'wsgi.url_scheme': ctx.urlScheme,
    'wsgi.input': input,
    'wsgi.errors': ctx.errors,
    'wsgi.multithread': false,
    'wsgi.multiprocess': ctx.multiprocess,
    'wsgi.run_once': false,
    'wsgi.input_terminated': true,
    'wsgi.file_wrapper': ctx.fileWrapper,
  };
  const count = w[rec + REC_FIELD_COUNT];
  for (let i = 0, f = rec + REC_FIELDS; i < count; i++, f += FIELD_WORDS) {
    const id = w[f];
    const key = id !== 0 ? keys[id] : keyOfUnknown(span(head, base, w[f + 1], w[f + 2]));
    if (key === null) continue;
    const value = span(head, base, w[f + 3], w[f + 4]);
    const previous = environ[key];
    if (previous === undefined) environ[key] = value;
    else environ[key] = `${previous as string}${key === COOKIE ? '; ' : ', '}${value}`;
  }
  return environ;
}

/** The path is a span of the head, except the "/" the core supplies for an absolute-form target without one. */
function pathOf(core: Core, head: string, base: number, address: number, length: number): string {
  return address >= base ? span(head, base, address, length) : core.latin1(address, length);
}

/** The `length` bytes at `address` of a head copied out from `base`. */
function span(head: string, base: number, address: number, length: number): string {
  const start = address - base;
  return head.substring(start, start + length);
}
