// The access log: what one response was (the exchange's own account of its status, head and
// body bytes, or the server's own answer to a request it rejected), and lines in gunicorn's
// format atoms (the combined log format by default) with every field escaped. Where they go:
// logfile.ts.

import type { EnvironContext } from '../src/environ.js';
import { answerBodyLength, HEAD_END } from '../src/response.js';
import type { Environ } from '../src/types.js';
import { LogFile } from './logfile.js';

/**
 * What is known of the request a record is about: its whole environ, or, for a request the server
 * answered itself before any application saw it, only what the connection tells (REMOTE_ADDR,
 * REMOTE_PORT, SERVER_NAME, SERVER_PORT, wsgi.url_scheme).
 */
export type AccessEnviron = Pick<Environ, 'REMOTE_ADDR' | 'REMOTE_PORT'> & Partial<Environ>;

type RejectionContext = Pick<EnvironContext, 'remoteAddr' | 'remotePort' | 'serverName' | 'serverPort' | 'urlScheme'>;

/** What the server reports once per finished (or aborted) response. */
export interface AccessRecord {
  /** The request's environ (REMOTE_ADDR and wsgi.url_scheme after forwarded headers). */
  environ: AccessEnviron;
  /** The server answered itself (400, 408, 413, 414, 431, 501, 503, 505, ...): no application ran. */
  rejected: boolean;
  /** The response status; 0 when no response head was sent. */
  status: number;
  /** Body bytes sent (chunked framing not counted). */
  bytes: number;
  /** The response head as sent (status line and header lines), '' when none was. */
  head: string;
  /** When the request was handed to the application, or rejected (ms since the epoch). */
  start: number;
  /** Milliseconds from then until the response was done. */
  duration: number;
}

/** What the server knows of a response when it is done: the exchange's own account of it. */
export interface ResponseAccount {
  /** The status sent; 0 when no head was. */
  readonly responseStatus: number;
  /** The head as sent (status line and header lines, with its final CRLF CRLF), null when none was. */
  readonly responseHead: Uint8Array | null;
  /** Body bytes sent (framing not counted). */
  readonly bodyBytes: number;
}


/** The head's text without its final blank line, for the `{header}o` atoms. */
function headText(head: Uint8Array | null): string {
  if (head === null) return '';
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const end = bytes.indexOf(HEAD_END);
  return bytes.latin1Slice(0, end < 0 ? bytes.length : end);
}

/** The record of a response from its account; `start` and `t0` are when the request was handed over (Date.now(), performance.now()). */
export function accessRecord(environ: AccessEnviron, account: ResponseAccount, start: number, t0: number, rejected = false): AccessRecord {
  return {
    environ,
    rejected,
    status: account.responseStatus,
    bytes: account.bodyBytes,
    head: headText(account.responseHead),
    start,
    duration: performance.now() - t0,
  };
}

/** The account of one of the server's own answers (an error response: head and body in one buffer). */
function answerAccount(status: number, answer: Uint8Array): ResponseAccount {
  return { responseStatus: status, responseHead: answer, bodyBytes: answerBodyLength(answer) };
}

/**
 * The record of a request the server answered itself (`status`, `answer`) before any application
 * saw it: only what the connection tells is known of the request.
 */
export function rejectionRecord(ctx: RejectionContext, status: number, answer: Uint8Array): AccessRecord {
  const environ: AccessEnviron = {
    REMOTE_ADDR: ctx.remoteAddr,
    REMOTE_PORT: ctx.remotePort,
    SERVER_NAME: ctx.serverName,
    SERVER_PORT: ctx.serverPort,
    'wsgi.url_scheme': ctx.urlScheme,
  };
  return accessRecord(environ, answerAccount(status, answer), Date.now(), performance.now(), true);
}

/** gunicorn's default, the combined log format. */
export const COMBINED_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"';

type Atom = (r: AccessRecord) => string;

const UNSAFE = /["\\\x00-\x1f\x7f-\uffff]/;
const UNSAFE_ALL = /["\\\x00-\x1f\x7f-\uffff]/g;

/**
 * Every field is escaped as it goes into a line. gunicorn escapes double quotes (as \"); wasgi
 * also escapes backslashes, control and non-ASCII characters (as Apache does), so that no value
 * can end a field early, start a line of its own or hide bytes from whoever reads the log.
 */
function escapeField(text: string): string {
  return UNSAFE.test(text)
    ? text.replace(UNSAFE_ALL, (c) => {
      if (c === '"') return '\\"';
      if (c === '\\') return '\\\\';
      const code = c.charCodeAt(0);
      return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
    })
    : text;
}

/** A value, or '-' when it is missing or empty. */
function dash(value: unknown): string {
  return typeof value === 'string' && value !== '' ? value : '-';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
let clfSecond = -1;
let clfText = '';

/** [10/Oct/2000:13:55:36 -0700], local time, formatted once a second. */
function clfTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== clfSecond) {
    const d = new Date(second * 1000);
    const p = (n: number): string => String(n).padStart(2, '0');
    const offset = -d.getTimezoneOffset();
    const sign = offset >= 0 ? '+' : '-';
    const zone = `${sign}${p(Math.floor(Math.abs(offset) / 60))}${p(Math.abs(offset) % 60)}`;
    clfText = `[${p(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone}]`;
    clfSecond = second;
  }
  return clfText;
}

/** The user name of a Basic Authorization header, as gunicorn's %(u)s. */
function basicUser(environ: AccessEnviron): string {
  const auth = environ.HTTP_AUTHORIZATION;
  if (typeof auth !== 'string') return '-';
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
  if (match === null) return '-';
  const decoded = Buffer.from(match[1], 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  return dash(colon < 0 ? decoded : decoded.slice(0, colon));
}

function responseHeader(head: string, name: string): string {
  const values: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).toLowerCase() === name) values.push(line.slice(colon + 1).trim());
  }
  return values.length > 0 ? values.join(', ') : '-';
}

/** The atoms' raw values; compileFormat escapes each. Fields a rejected request lacks are '-'. */
const ATOMS: Record<string, Atom> = {
  h: (r) => dash(r.environ.REMOTE_ADDR),
  l: () => '-',
  u: (r) => basicUser(r.environ),
  t: (r) => clfTime(r.start),
  r: (r) => (r.environ.REQUEST_METHOD === undefined ? '-' : `${r.environ.REQUEST_METHOD} ${r.environ.RAW_URI ?? ''} ${r.environ.SERVER_PROTOCOL ?? ''}`),
  m: (r) => dash(r.environ.REQUEST_METHOD),
  U: (r) => dash(r.environ.PATH_INFO),
  q: (r) => r.environ.QUERY_STRING ?? '-',
  H: (r) => dash(r.environ.SERVER_PROTOCOL),
  s: (r) => (r.status > 0 ? String(r.status) : '-'),
  B: (r) => String(r.bytes),
  b: (r) => (r.bytes > 0 ? String(r.bytes) : '-'),
  f: (r) => dash(r.environ.HTTP_REFERER),
  a: (r) => dash(r.environ.HTTP_USER_AGENT),
  T: (r) => String(Math.floor(r.duration / 1000)),
  M: (r) => String(Math.round(r.duration)),
  D: (r) => String(Math.round(r.duration * 1000)),
  L: (r) => (r.duration / 1000).toFixed(6),
  p: () => `<${process.pid}>`,
};

function braced(name: string): Atom | undefined {
  const match = /^\{([^}]+)\}([ioe])$/.exec(name);
  if (match === null) return undefined;
  const key = match[1];
  switch (match[2]) {
    case 'i': {
      const upper = key.toUpperCase().replace(/-/g, '_');
      const environKey = upper === 'CONTENT_TYPE' || upper === 'CONTENT_LENGTH' ? upper : `HTTP_${upper}`;
      return (r) => dash(r.environ[environKey]);
    }
    case 'o': {
      const lower = key.toLowerCase();
      return (r) => responseHeader(r.head, lower);
    }
    default:
      return () => dash(process.env[key]);
  }
}

/**
 * Compiles a gunicorn access log format: `%(NAME)s` atoms (h l u t r m U q H s B b f a T M D L p,
 * `{header}i`, `{header}o`, `{variable}e`), `%%` for a percent sign, everything else as it is.
 * Throws on an unknown atom.
 */
export function compileFormat(format: string): (record: AccessRecord) => string {
  const parts: (string | Atom)[] = [];
  const pattern = /%\(([^)]*)\)s|%%/g;
  let last = 0;
  for (let m = pattern.exec(format); m !== null; m = pattern.exec(format)) {
    if (m.index > last) parts.push(format.slice(last, m.index));
    if (m[0] === '%%') parts.push('%');
    else {
      const atom = ATOMS[m[1]] ?? braced(m[1]);
      if (atom === undefined) throw new Error(`unknown atom ${m[0]}`);
      parts.push((r) => escapeField(atom(r)));
    }
    last = pattern.lastIndex;
  }
  if (last < format.length) parts.push(format.slice(last));
  return (record) => {
    let line = '';
    for (const part of parts) line += typeof part === 'string' ? part : part(record);
    return line;
  };
}

/** An access log file and its line format: what `--access-logfile` and `accessLogfile` open. */
export class AccessLog {
  readonly file: LogFile;
  private readonly format: (record: AccessRecord) => string;

  /** `report` is told when writing fails and when it works again. */
  constructor(target: string, format: string, report: (message: string) => void) {
    this.file = new LogFile('access log', target, 'stdout', true);
    this.file.report = report;
    this.format = compileFormat(format);
  }

  readonly write = (record: AccessRecord): void => {
    this.file.write(`${this.format(record)}\n`);
  };
}
