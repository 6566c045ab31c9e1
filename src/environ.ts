// Builds the PEP 3333 environ from the core's request record. Header names arrive as interned
// ids with ready-made keys; the strings are substrings of the head, copied out once (record.ts).

import type { RequestRecord } from './record.js';
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

export function buildEnviron(request: RequestRecord, keys: string[], ctx: EnvironContext, input: InputStream): Environ {
  const environ: Environ = {
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: '',
    PATH_INFO: request.path,
    QUERY_STRING: request.query,
    SERVER_NAME: ctx.serverName,
    SERVER_PORT: ctx.serverPort,
    SERVER_PROTOCOL: request.protocol,
    REMOTE_ADDR: ctx.remoteAddr,
    REMOTE_PORT: ctx.remotePort,
    RAW_URI: request.target,
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
  for (let i = 0; i < request.fieldCount; i++) {
    const id = request.fieldId(i);
    const key = id !== 0 ? keys[id] : keyOfUnknown(request.fieldName(i));
    if (key === null) continue;
    const value = request.fieldValue(i);
    const previous = environ[key];
    if (previous === undefined) environ[key] = value;
    else environ[key] = `${previous as string}${key === COOKIE ? '; ' : ', '}${value}`;
  }
  return environ;
}
