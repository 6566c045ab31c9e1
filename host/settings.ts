// The settings, one table: each has one name (camelCase in code and config files, kebab-case on
// the command line), one unit (durations in seconds, sizes in bytes), its validator, default and
// doc, as gunicorn keeps them. serve() and makeServer() take the same names as the command and its
// config files, so an object from a config file can be handed to serve() as it is.

import net from 'node:net';
import path from 'node:path';
import { Core, DEFAULT_LIMITS, type Limits } from '../src/core.js';
import { LOG_LEVELS, type LogLevel } from '../src/errors.js';
import { compileFormat, COMBINED_FORMAT } from './accesslog.js';
import { TrustedProxies } from './forwarded.js';

export type Bind =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'fd'; fd: number };

export interface Settings {
  /** MODULE[:CALLABLE]; the command line's positional argument, or `app` in a config file. */
  app: string | null;
  bind: Bind[];
  workers: number;
  /** Seconds a worker may go without a heartbeat before it is killed; 0 turns it off. */
  timeout: number;
  gracefulTimeout: number;
  keepAlive: number;
  maxRequests: number;
  maxRequestsJitter: number;
  backlog: number;
  /** A file, '-' for stdout, or null for no access log. */
  accessLogfile: string | null;
  accessLogformat: string;
  /** A file or '-' for stderr. */
  errorLogfile: string;
  logLevel: LogLevel;
  forwardedAllowIps: string;
  limitRequestLine: number;
  limitRequestFields: number;
  limitRequestFieldSize: number;
  limitRequestHead: number;
  maxBodySize: number;
  maxConnections: number;
  headerTimeout: number;
  bodyTimeout: number;
}

/** A value the option does not take; the caller names the option and shows the value. */
export class Invalid extends Error {}

export type Parse<T> = (value: unknown) => T;

/** One setting: its name in code and config files, its flag, validator, default and doc together. */
export interface Option {
  key: Exclude<keyof Settings, 'app'>;
  flag: string;
  short?: string;
  meta: string;
  help: string;
  parse: Parse<unknown>;
  default: unknown;
  /** 'server': used by every server (serve() and each worker); 'command': by the command's processes. */
  scope: 'server' | 'command';
  multiple?: boolean;
}

const I32 = 2 ** 31 - 1;

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parse<number> {
  const what = max !== Number.MAX_SAFE_INTEGER ? `an integer from ${min} to ${max}`
    : min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
  return (value) => {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Invalid(`must be ${what}`);
    return n;
  };
}

function seconds(positive: boolean): Parse<number> {
  const what = positive ? 'a positive number of seconds' : 'a non-negative number of seconds';
  return (value) => {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isFinite(n) || n < 0 || (positive && n === 0)) throw new Invalid(`must be ${what}`);
    return n;
  };
}

export function text(what: string): Parse<string> {
  return (value) => {
    if (typeof value !== 'string' || value === '') throw new Invalid(`must be ${what}`);
    return value;
  };
}

const parseLogLevel: Parse<LogLevel> = (value) => {
  const level = typeof value === 'string' ? value.toLowerCase() : '';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Invalid(`must be one of ${LOG_LEVELS.join(', ')}`);
  return level as LogLevel;
};

const parseFormat: Parse<string> = (value) => {
  if (typeof value !== 'string') throw new Invalid('must be a string');
  try {
    compileFormat(value);
  } catch (error) {
    throw new Invalid(`must use known atoms (${(error as Error).message})`);
  }
  return value;
};

export const parseAllowIps: Parse<string> = (value) => {
  const entries = Array.isArray(value) ? value : [value];
  if (!entries.every((e) => typeof e === 'string')) throw new Invalid('must be a comma-separated list of IP addresses or networks, or "*"');
  const joined = (entries as string[]).join(',');
  try {
    new TrustedProxies(joined);
  } catch (error) {
    throw new Invalid(`must be a comma-separated list of IP addresses or networks, or "*" (${(error as Error).message})`);
  }
  return joined;
};

/** gunicorn's port when a bind names only a host. */
const DEFAULT_PORT = 8000;

/**
 * HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N, and gunicorn's other forms: HOST alone (port
 * 8000), :PORT (every interface), tcp://HOST:PORT.
 */
export function parseBind(value: unknown): Bind {
  const expected = 'must be HOST:PORT, [IPV6]:PORT, :PORT, HOST, unix:PATH or fd://N';
  if (typeof value !== 'string') throw new Invalid(expected);
  if (value.startsWith('unix:')) {
    const file = value.slice(5).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new Invalid('must name a socket file after "unix:"');
    return { kind: 'unix', path: path.resolve(file) };
  }
  if (value.startsWith('fd://')) {
    const fd = value.slice(5);
    if (!/^\d+$/.test(fd) || Number(fd) > I32) throw new Invalid('must give a file descriptor number after "fd://"');
    return { kind: 'fd', fd: Number(fd) };
  }
  const address = value.replace(/^tcp:\/\//, '');
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*))(?::(\d+))?$/.exec(address);
  if (match === null || (match[3] === undefined && (match[2] ?? match[1]) === '')) throw new Invalid(expected);
  if (match[1] !== undefined && !net.isIPv6(match[1])) throw new Invalid('must have an IPv6 address in brackets');
  const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (port > 65535) throw new Invalid('must have a port from 0 to 65535');
  return { kind: 'tcp', host: match[1] ?? (match[2] === '' ? '0.0.0.0' : match[2]), port };
}

export const DEFAULT_BIND = '127.0.0.1:8000';
/** gunicorn's default: a burst of new connections waits in the kernel rather than being refused. */
export const DEFAULT_BACKLOG = 2048;

/** The options, in the order --help lists them. Durations are in seconds. */
export const OPTIONS: readonly Option[] = [
  { key: 'bind', default: [parseBind(DEFAULT_BIND)], scope: 'command', flag: 'bind', short: 'b', meta: 'ADDRESS', multiple: true, parse: parseBind,
    help: `address to listen on: HOST:PORT, [IPV6]:PORT, :PORT (every interface), HOST (port ${DEFAULT_PORT}), tcp://HOST:PORT, unix:PATH or fd://N (default: 0.0.0.0:$PORT when PORT is set, else ${DEFAULT_BIND}); repeat for several; port 0 picks a free port` },
  { key: 'workers', default: 1, scope: 'command', flag: 'workers', short: 'w', meta: 'N', parse: integer(1),
    help: 'worker processes (default: $WEB_CONCURRENCY, or 1)' },
  { key: 'timeout', default: 30, scope: 'command', flag: 'timeout', short: 't', meta: 'S', parse: seconds(false),
    help: 'a worker whose event loop is blocked this long is killed and replaced (default 30; 0: never)' },
  { key: 'gracefulTimeout', default: 30, scope: 'command', flag: 'graceful-timeout', meta: 'S', parse: seconds(false),
    help: 'time requests in flight get to finish on SIGTERM, SIGHUP and recycling (default 30)' },
  { key: 'keepAlive', default: DEFAULT_LIMITS.keepAliveTimeout / 1000, scope: 'server', flag: 'keep-alive', meta: 'S', parse: seconds(true),
    help: 'how long an idle keep-alive connection is kept (default 5)' },
  { key: 'maxRequests', default: 0, scope: 'command', flag: 'max-requests', meta: 'N', parse: integer(0),
    help: 'replace a worker after it served this many requests (default 0: never)' },
  { key: 'maxRequestsJitter', default: 0, scope: 'command', flag: 'max-requests-jitter', meta: 'N', parse: integer(0),
    help: 'add a random 0..N to --max-requests for each worker (default 0)' },
  { key: 'backlog', default: DEFAULT_BACKLOG, scope: 'server', flag: 'backlog', meta: 'N', parse: integer(1, 65535),
    help: `listen backlog, and how many connections may wait for a free slot beyond --max-connections; more: 503 (default ${DEFAULT_BACKLOG})` },
  { key: 'accessLogfile', default: null, scope: 'server', flag: 'access-logfile', meta: 'FILE', parse: text('a file name, or - for stdout'),
    help: 'write an access log line per response to FILE (- for stdout; default: none)' },
  { key: 'accessLogformat', default: COMBINED_FORMAT, scope: 'server', flag: 'access-logformat', meta: 'FORMAT', parse: parseFormat,
    help: 'access log line, in gunicorn\'s atoms (default: the combined log format)' },
  { key: 'errorLogfile', default: '-', scope: 'server', flag: 'error-logfile', meta: 'FILE', parse: text('a file name, or - for stderr'),
    help: 'where errors and wsgi.errors go (default - for stderr)' },
  { key: 'logLevel', default: 'info', scope: 'server', flag: 'log-level', meta: 'LEVEL', parse: parseLogLevel,
    help: `least severe message logged: ${LOG_LEVELS.join(', ')} (default info)` },
  { key: 'forwardedAllowIps', default: '127.0.0.1,::1', scope: 'server', flag: 'forwarded-allow-ips', meta: 'LIST', parse: parseAllowIps,
    help: 'peers whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses and networks, or * (default: $FORWARDED_ALLOW_IPS, or 127.0.0.1,::1)' },
  { key: 'limitRequestLine', default: DEFAULT_LIMITS.limitRequestLine, scope: 'server', flag: 'limit-request-line', meta: 'BYTES', parse: integer(16, I32),
    help: `longest request line; longer: 414 (default ${DEFAULT_LIMITS.limitRequestLine})` },
  { key: 'limitRequestFields', default: DEFAULT_LIMITS.limitRequestFields, scope: 'server', flag: 'limit-request-fields', meta: 'N', parse: integer(1, I32),
    help: `most header fields in a request; more: 431 (default ${DEFAULT_LIMITS.limitRequestFields})` },
  { key: 'limitRequestFieldSize', default: DEFAULT_LIMITS.limitRequestFieldSize, scope: 'server', flag: 'limit-request-field-size', meta: 'BYTES', parse: integer(16, I32),
    help: `longest header field line; longer: 431 (default ${DEFAULT_LIMITS.limitRequestFieldSize})` },
  { key: 'limitRequestHead', default: DEFAULT_LIMITS.limitRequestHead, scope: 'server', flag: 'limit-request-head', meta: 'BYTES', parse: integer(64, I32),
    help: `largest request head; larger: 431 (default ${DEFAULT_LIMITS.limitRequestHead})` },
  { key: 'maxBodySize', default: DEFAULT_LIMITS.maxBodySize, scope: 'server', flag: 'max-body-size', meta: 'BYTES', parse: integer(0),
    help: `largest request body; larger: 413 (default ${DEFAULT_LIMITS.maxBodySize})` },
  { key: 'maxConnections', default: DEFAULT_LIMITS.maxConnections, scope: 'server', flag: 'max-connections', meta: 'N', parse: integer(1, I32),
    help: `open connections per worker; a newcomer closes the connection idle longest, or waits, unread, for a free slot (default ${DEFAULT_LIMITS.maxConnections})` },
  { key: 'headerTimeout', default: DEFAULT_LIMITS.headerTimeout / 1000, scope: 'server', flag: 'header-timeout', meta: 'S', parse: seconds(true),
    help: `time for a whole request head to arrive; then 408 (default ${DEFAULT_LIMITS.headerTimeout / 1000})` },
  { key: 'bodyTimeout', default: DEFAULT_LIMITS.bodyTimeout / 1000, scope: 'server', flag: 'body-timeout', meta: 'S', parse: seconds(true),
    help: `time a request body may stall; then 408 (default ${DEFAULT_LIMITS.bodyTimeout / 1000})` },
];

/** The core's limits (its timeouts in milliseconds) from the settings (in seconds). */
export function limitsOf(s: ServerSettings): Limits {
  return {
    maxConnections: s.maxConnections,
    limitRequestLine: s.limitRequestLine,
    limitRequestFields: s.limitRequestFields,
    limitRequestFieldSize: s.limitRequestFieldSize,
    limitRequestHead: s.limitRequestHead,
    maxBodySize: s.maxBodySize,
    headerTimeout: ms(s.headerTimeout),
    keepAliveTimeout: ms(s.keepAlive),
    bodyTimeout: ms(s.bodyTimeout),
  };
}

/** Seconds to milliseconds, for timers: at least 1, at most what setTimeout takes. */
export function ms(seconds: number): number {
  return Math.min(I32, Math.max(1, Math.round(seconds * 1000)));
}

/**
 * The core lays its memory out from the limits once: null when they fit, else what is wrong,
 * naming the settings (`name` spells them as the caller does: flags or keys).
 */
export function limitsProblem(s: ServerSettings, name: (key: keyof ServerSettings) => string): string | null {
  const tooLarge = `${name('maxConnections')} (${s.maxConnections}) times ${name('limitRequestHead')} (${s.limitRequestHead}) is more memory than a core can have (4 GiB); lower one of them`;
  // Each connection has a window of about the head limit: check before the core's 32-bit layout can wrap.
  if (s.maxConnections * (s.limitRequestHead + 16384) >= 2 ** 32) return tooLarge;
  try {
    new Core(limitsOf(s));
  } catch (error) {
    if (error instanceof RangeError) return tooLarge;
    throw error;
  }
  return null;
}


/** The settings every server uses (serve() and each worker of the command). */
export type ServerSettings = Pick<Settings, 'keepAlive' | 'backlog' | 'accessLogfile' | 'accessLogformat' | 'errorLogfile' |
  'logLevel' | 'forwardedAllowIps' | 'limitRequestLine' | 'limitRequestFields' | 'limitRequestFieldSize' | 'limitRequestHead' |
  'maxBodySize' | 'maxConnections' | 'headerTimeout' | 'bodyTimeout'>;

export const BY_KEY: ReadonlyMap<string, Option> = new Map(OPTIONS.map((o) => [o.key as string, o]));

/** The defaults of every setting (the command adds the environment's: config.ts). */
export function defaults(): Settings {
  const s: Record<string, unknown> = { app: null };
  for (const o of OPTIONS) s[o.key] = Array.isArray(o.default) ? [...o.default] : o.default;
  return s as unknown as Settings;
}

/** How a value is shown in an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string' || Array.isArray(value) || (typeof value === 'object' && value !== null)) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return typeof value === 'symbol' ? value.toString() : String(value);
}

/** The value `option` takes for `value`; `fail` makes the error from "NAME must be ..., got VALUE". */
export function parseOption(option: Option, value: unknown, name: string, fail: (message: string) => Error): unknown {
  const one = (v: unknown): unknown => {
    try {
      return option.parse(v);
    } catch (error) {
      if (error instanceof Invalid) throw fail(`${name} ${error.message}, got ${show(v)}`);
      throw error;
    }
  };
  if (option.multiple) return (Array.isArray(value) ? value : [value]).map(one);
  if (option.key === 'accessLogfile' && value === null) return null;
  return one(value);
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known name closest to `name`, when one is close enough to be a typo of it. */
export function nearest(name: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

/**
 * Validates an object of settings (a config file's, or serve()'s options): every key must be a
 * setting's (or `app`), every value what it takes. `name` and `unknown` word the errors.
 */
export function settingsOf(values: Record<string, unknown>, name: (key: string) => string, unknown: (key: string) => string,
  fail: (message: string) => Error): Partial<Settings> {
  const settings: Partial<Settings> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (key === 'app') {
      settings.app = parseOption(APP_OPTION, value, name(key), fail) as string;
      continue;
    }
    const option = BY_KEY.get(key);
    if (option === undefined) {
      const near = nearest(key, [...BY_KEY.keys(), 'app']);
      throw fail(`${unknown(key)} (${near !== null ? `did you mean '${near}'? ` : ''}settings are the long options in camelCase, e.g. maxRequests)`);
    }
    (settings as Record<string, unknown>)[key] = parseOption(option, value, name(key), fail);
  }
  return settings;
}

/** `app`: MODULE[:CALLABLE]. */
const APP_OPTION: Option = { key: 'bind', flag: 'app', meta: 'MODULE', help: '', parse: text('MODULE[:CALLABLE]'), default: null, scope: 'command' };

/**
 * The settings as code gives them to serve() and makeServer(), and as a config file holds them:
 * the same names and units as the command's options (durations in seconds).
 */
export interface SettingsInput {
  /** The command's application (MODULE[:CALLABLE]); serve() is given its application. */
  app?: string;
  /** Addresses to listen on (HOST:PORT, [IPV6]:PORT, :PORT, HOST, unix:PATH, fd://N); serve() takes one. */
  bind?: string | readonly string[];
  /** The command's worker processes (serve() runs in this one). */
  workers?: number;
  /** The command's heartbeat timeout of a worker, in seconds. */
  timeout?: number;
  /** Seconds requests in flight get to finish when the command stops a worker. */
  gracefulTimeout?: number;
  /** Seconds an idle keep-alive connection is kept (default 5). */
  keepAlive?: number;
  /** The command replaces a worker after this many requests (0: never). */
  maxRequests?: number;
  maxRequestsJitter?: number;
  /** Listen backlog, and how many connections may wait for a free slot (default 2048); more: 503. */
  backlog?: number;
  /** An access log line per response to this file ('-' for stdout; default none). */
  accessLogfile?: string | null;
  /** The access log line in gunicorn's atoms (default: the combined log format). */
  accessLogformat?: string;
  /** Where errors and wsgi.errors go: a file, or '-' for stderr (default). */
  errorLogfile?: string;
  /** Least severe message logged (default 'info'; 'debug' also logs each rejected request). */
  logLevel?: LogLevel;
  /** Peers whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses, networks, or '*' (default '127.0.0.1,::1'). */
  forwardedAllowIps?: string | readonly string[];
  /** Longest request line in bytes (default 8192; longer: 414). */
  limitRequestLine?: number;
  /** Most header fields (default 100; more: 431). */
  limitRequestFields?: number;
  /** Longest header field line in bytes (default 8192; longer: 431). */
  limitRequestFieldSize?: number;
  /** Largest request head in bytes (default 65536; larger: 431). */
  limitRequestHead?: number;
  /** Largest request body in bytes (default 16 MiB; larger: 413). */
  maxBodySize?: number;
  /** Open connections (default 10 000); a newcomer closes the connection idle longest, or waits, unread, for a free slot. */
  maxConnections?: number;
  /** Seconds for a whole request head to arrive (default 10; then 408). */
  headerTimeout?: number;
  /** Seconds a request body may stall (default 30; then 408). */
  bodyTimeout?: number;
}

/** serve()'s and makeServer()'s error for a wrong option. */
function optionError(message: string): TypeError {
  return new TypeError(`wasgi: ${message}`);
}

/**
 * Every setting from code options, validated: an unknown name is a TypeError naming it (and the
 * nearest known one), a wrong value a TypeError naming the option and what it takes. `codeOnly`
 * are the other options the caller takes (callbacks, streams).
 */
export function settingsFromOptions(options: object, codeOnly: readonly string[]): Settings {
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (!codeOnly.includes(key)) given[key] = value;
  const settings = { ...defaults(), ...settingsOf(given, (key) => `option ${key}`, (key) => `unknown option '${key}'`, optionError) };
  const problem = limitsProblem(settings, (key) => key);
  if (problem !== null) throw new RangeError(`wasgi: ${problem}`);
  return settings;
}

/** The settings with scope 'server', as options for a server. */
export function serverOptionsOf(s: Settings): SettingsInput {
  const options: Record<string, unknown> = {};
  for (const o of OPTIONS) if (o.scope === 'server') options[o.key] = s[o.key];
  return options as SettingsInput;
}
