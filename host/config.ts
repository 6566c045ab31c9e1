// The wasgi command's settings: one table of options shared by the command line and the config
// file, their validation (every wrong value is a one-line error naming it, exit code 2), and the
// loading of the config and application modules (TypeScript through tsx, when it is installed).

import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Core, DEFAULT_LIMITS, type Limits } from '../src/core.js';
import { LOG_LEVELS, type LogLevel } from '../src/errors.js';
import type { Application } from '../src/types.js';
import { compileFormat, COMBINED_FORMAT } from './accesslog.js';

/** A failure reported as one line on stderr: exit code 2 for wrong usage, 1 for the rest. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

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
class Invalid extends Error {}

type Parse<T> = (value: unknown) => T;

interface Option {
  key: Exclude<keyof Settings, 'app'>;
  flag: string;
  short?: string;
  meta: string;
  help: string;
  parse: Parse<unknown>;
  multiple?: boolean;
}

const I32 = 2 ** 31 - 1;

function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parse<number> {
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

function text(what: string): Parse<string> {
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

const parseAllowIps: Parse<string> = (value) => {
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

/** HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N. */
export function parseBind(value: unknown): Bind {
  const expected = 'must be HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N';
  if (typeof value !== 'string') throw new Invalid(expected);
  if (value.startsWith('unix:')) {
    const file = value.slice(5);
    if (file === '') throw new Invalid('must name a socket file after "unix:"');
    return { kind: 'unix', path: path.resolve(file) };
  }
  if (value.startsWith('fd://')) {
    const fd = value.slice(5);
    if (!/^\d+$/.test(fd) || Number(fd) > I32) throw new Invalid('must give a file descriptor number after "fd://"');
    return { kind: 'fd', fd: Number(fd) };
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(value);
  if (match === null) throw new Invalid(expected);
  if (match[1] !== undefined && !net.isIPv6(match[1])) throw new Invalid(`must have an IPv6 address in brackets`);
  const port = Number(match[3]);
  if (port > 65535) throw new Invalid('must have a port from 0 to 65535');
  return { kind: 'tcp', host: match[1] ?? match[2], port };
}

const DEFAULT_BIND = '127.0.0.1:8000';
/** gunicorn's default: a burst of new connections waits in the kernel rather than being refused. */
export const DEFAULT_BACKLOG = 2048;

/** The options, in the order --help lists them. Durations are in seconds. */
export const OPTIONS: readonly Option[] = [
  { key: 'bind', flag: 'bind', short: 'b', meta: 'ADDRESS', multiple: true, parse: parseBind,
    help: `address to listen on: HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N (default ${DEFAULT_BIND}); repeat for several; port 0 picks a free port` },
  { key: 'workers', flag: 'workers', short: 'w', meta: 'N', parse: integer(1),
    help: 'worker processes (default: $WEB_CONCURRENCY, or 1)' },
  { key: 'timeout', flag: 'timeout', short: 't', meta: 'S', parse: seconds(false),
    help: 'a worker whose event loop is blocked this long is killed and replaced (default 30; 0: never)' },
  { key: 'gracefulTimeout', flag: 'graceful-timeout', meta: 'S', parse: seconds(false),
    help: 'time requests in flight get to finish on SIGTERM, SIGHUP and recycling (default 30)' },
  { key: 'keepAlive', flag: 'keep-alive', meta: 'S', parse: seconds(true),
    help: 'how long an idle keep-alive connection is kept (default 5)' },
  { key: 'maxRequests', flag: 'max-requests', meta: 'N', parse: integer(0),
    help: 'replace a worker after it served this many requests (default 0: never)' },
  { key: 'maxRequestsJitter', flag: 'max-requests-jitter', meta: 'N', parse: integer(0),
    help: 'add a random 0..N to --max-requests for each worker (default 0)' },
  { key: 'backlog', flag: 'backlog', meta: 'N', parse: integer(1, 65535),
    help: `listen backlog, and how many connections may wait for a free slot beyond --max-connections; more: 503 (default ${DEFAULT_BACKLOG})` },
  { key: 'accessLogfile', flag: 'access-logfile', meta: 'FILE', parse: text('a file name, or - for stdout'),
    help: 'write an access log line per response to FILE (- for stdout; default: none)' },
  { key: 'accessLogformat', flag: 'access-logformat', meta: 'FORMAT', parse: parseFormat,
    help: 'access log line, in gunicorn\'s atoms (default: the combined log format)' },
  { key: 'errorLogfile', flag: 'error-logfile', meta: 'FILE', parse: text('a file name, or - for stderr'),
    help: 'where errors and wsgi.errors go (default - for stderr)' },
  { key: 'logLevel', flag: 'log-level', meta: 'LEVEL', parse: parseLogLevel,
    help: `least severe message logged: ${LOG_LEVELS.join(', ')} (default info)` },
  { key: 'forwardedAllowIps', flag: 'forwarded-allow-ips', meta: 'LIST', parse: parseAllowIps,
    help: 'peers whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses and networks, or * (default: $FORWARDED_ALLOW_IPS, or 127.0.0.1,::1)' },
  { key: 'limitRequestLine', flag: 'limit-request-line', meta: 'BYTES', parse: integer(16, I32),
    help: `longest request line; longer: 414 (default ${DEFAULT_LIMITS.limitRequestLine})` },
  { key: 'limitRequestFields', flag: 'limit-request-fields', meta: 'N', parse: integer(1, I32),
    help: `most header fields in a request; more: 431 (default ${DEFAULT_LIMITS.limitRequestFields})` },
  { key: 'limitRequestFieldSize', flag: 'limit-request-field-size', meta: 'BYTES', parse: integer(16, I32),
    help: `longest header field line; longer: 431 (default ${DEFAULT_LIMITS.limitRequestFieldSize})` },
  { key: 'limitRequestHead', flag: 'limit-request-head', meta: 'BYTES', parse: integer(64, I32),
    help: `largest request head; larger: 431 (default ${DEFAULT_LIMITS.limitRequestHead})` },
  { key: 'maxBodySize', flag: 'max-body-size', meta: 'BYTES', parse: integer(0),
    help: `largest request body; larger: 413 (default ${DEFAULT_LIMITS.maxBodySize})` },
  { key: 'maxConnections', flag: 'max-connections', meta: 'N', parse: integer(1, I32),
    help: `open connections per worker; more wait, unread, for a free slot (default ${DEFAULT_LIMITS.maxConnections})` },
  { key: 'headerTimeout', flag: 'header-timeout', meta: 'S', parse: seconds(true),
    help: `time for a whole request head to arrive; then 408 (default ${DEFAULT_LIMITS.headerTimeout / 1000})` },
  { key: 'bodyTimeout', flag: 'body-timeout', meta: 'S', parse: seconds(true),
    help: `time a request body may stall; then 408 (default ${DEFAULT_LIMITS.bodyTimeout / 1000})` },
];

const BY_FLAG = new Map(OPTIONS.map((o) => [o.flag, o]));
const BY_SHORT = new Map(OPTIONS.filter((o) => o.short !== undefined).map((o) => [o.short as string, o]));
const BY_KEY = new Map(OPTIONS.map((o) => [o.key as string, o]));

export const DEFAULT_CALLABLE = 'application';

export const USAGE = `Usage: wasgi [OPTIONS] MODULE[:CALLABLE]

Serve the PEP 3333 application CALLABLE (default: ${DEFAULT_CALLABLE}) exported by the module at
MODULE (an ES module, or TypeScript when tsx is installed; relative to the current directory).

Options:
${[
    ...OPTIONS.map((o) => [`${o.short ? `-${o.short}, ` : '    '}--${o.flag} ${o.meta}`, o.help]),
    ['-c, --config FILE', 'a JS module exporting settings (camelCase names, e.g. maxRequests); the command line wins'],
    ['    --check-config', 'check the settings and load the application, print "configuration OK" and exit'],
    ['-v, --version', 'show the version and exit'],
    ['-h, --help', 'show this help and exit'],
  ].map(([left, help]) => {
    const words = help.split(' ');
    const lines: string[] = [];
    let line = '';
    for (const word of words) {
      if (line !== '' && line.length + word.length + 1 > 62) { lines.push(line); line = word; } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
    const pad = left.length >= 34 ? `\n${' '.repeat(36)}` : ' '.repeat(34 - left.length);
    return `  ${left}${pad}${lines.join(`\n${' '.repeat(36)}`)}`;
  }).join('\n')}

Signals: TERM and INT stop gracefully, QUIT at once, HUP replaces the workers one by one,
TTIN and TTOU add and remove a worker, USR1 reopens the log files.

Example:
  wasgi --workers 4 --bind 127.0.0.1:8000 --access-logfile - examples/hello.mjs:application
`;

/** What the command line says, before the config file is read. */
export interface CommandLine {
  help: boolean;
  version: boolean;
  checkConfig: boolean;
  config: string | null;
  app: string | null;
  /** Validated values of the options given. */
  values: Partial<Settings>;
}

/** Parses argv (without node and the script): options anywhere, one positional argument. */
export function parseCommandLine(argv: string[]): CommandLine {
  const line: CommandLine = { help: false, version: false, checkConfig: false, config: null, app: null, values: {} };
  const raw = new Map<Option, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      const short = arg.slice(1, 2);
      const long = { h: 'help', v: 'version', c: 'config' }[short] ?? BY_SHORT.get(short)?.flag;
      if (long === undefined) throw usageError(`unknown option '${arg}' (see wasgi --help)`);
      name = long;
      inline = arg.length > 2 ? arg.slice(2).replace(/^=/, '') : undefined;
    }
    const flags = { help: 'help', version: 'version', 'check-config': 'checkConfig' } as const;
    if (name in flags) {
      if (inline !== undefined) throw usageError(`--${name} takes no value`);
      line[flags[name as keyof typeof flags]] = true;
      continue;
    }
    const option = BY_FLAG.get(name);
    if (option === undefined && name !== 'config') throw usageError(`unknown option '${arg.split('=')[0]}' (see wasgi --help)`);
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw usageError(`--${name} needs a value`);
      value = argv[++i];
    }
    if (option === undefined) line.config = value;
    else raw.set(option, option.multiple ? [...(raw.get(option) ?? []), value] : [value]);
  }
  if (line.help || line.version) return line;
  if (positionals.length > 1) throw usageError(`unexpected argument '${positionals[1]}'`);
  line.app = positionals[0] ?? null;
  if (line.config === '') throw usageError('--config must be a file name, got ""');
  for (const [option, values] of raw) {
    const parsed = values.map((v) => check(option.parse, v, `--${option.flag}`));
    (line.values as Record<string, unknown>)[option.key] = option.multiple ? parsed : parsed[0];
  }
  return line;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) || (typeof value === 'object' && value !== null) ? JSON.stringify(value) : String(value);
}

function check<T>(parse: Parse<T>, value: unknown, name: string): T {
  try {
    return parse(value);
  } catch (error) {
    if (error instanceof Invalid) throw usageError(`${name} ${error.message}, got ${show(value)}`);
    throw error;
  }
}

/** Defaults, then the environment (WEB_CONCURRENCY, FORWARDED_ALLOW_IPS). */
export function defaultSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const s: Settings = {
    app: null,
    bind: [parseBind(DEFAULT_BIND)],
    workers: 1,
    timeout: 30,
    gracefulTimeout: 30,
    keepAlive: DEFAULT_LIMITS.keepAliveTimeout / 1000,
    maxRequests: 0,
    maxRequestsJitter: 0,
    backlog: DEFAULT_BACKLOG,
    accessLogfile: null,
    accessLogformat: COMBINED_FORMAT,
    errorLogfile: '-',
    logLevel: 'info',
    forwardedAllowIps: '127.0.0.1,::1',
    limitRequestLine: DEFAULT_LIMITS.limitRequestLine,
    limitRequestFields: DEFAULT_LIMITS.limitRequestFields,
    limitRequestFieldSize: DEFAULT_LIMITS.limitRequestFieldSize,
    limitRequestHead: DEFAULT_LIMITS.limitRequestHead,
    maxBodySize: DEFAULT_LIMITS.maxBodySize,
    maxConnections: DEFAULT_LIMITS.maxConnections,
    headerTimeout: DEFAULT_LIMITS.headerTimeout / 1000,
    bodyTimeout: DEFAULT_LIMITS.bodyTimeout / 1000,
  };
  if (env.WEB_CONCURRENCY !== undefined && env.WEB_CONCURRENCY !== '') s.workers = check(integer(1), env.WEB_CONCURRENCY, 'WEB_CONCURRENCY');
  if (env.FORWARDED_ALLOW_IPS !== undefined) s.forwardedAllowIps = check(parseAllowIps, env.FORWARDED_ALLOW_IPS, 'FORWARDED_ALLOW_IPS');
  return s;
}

/** The settings a config module exports (a default export object and/or named exports), validated. */
export async function readConfigFile(file: string, reload = 0): Promise<Partial<Settings>> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw usageError(`--config: file not found: ${abs}`);
  let exports: Record<string, unknown>;
  try {
    exports = await importFile(abs, reload);
  } catch (error) {
    if (error instanceof CliError) throw new CliError(error.message, 2);
    throw usageError(`cannot import config file ${abs}: ${reason(error)}`);
  }
  const values: Record<string, unknown> = {};
  if (exports.default !== undefined) {
    const d = exports.default;
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw usageError(`${file}: the default export must be an object of settings, got ${show(d)}`);
    Object.assign(values, d);
  }
  for (const [key, value] of Object.entries(exports)) if (key !== 'default') values[key] = value;

  const settings: Partial<Settings> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (key === 'app') {
      settings.app = check(text('MODULE[:CALLABLE]'), value, `${file}: app`);
      continue;
    }
    const option = BY_KEY.get(key);
    if (option === undefined) throw usageError(`${file}: unknown setting '${key}' (settings are the long options in camelCase, e.g. maxRequests)`);
    const name = `${file}: ${key}`;
    let parsed: unknown;
    if (option.multiple) parsed = (Array.isArray(value) ? value : [value]).map((v) => check(option.parse, v, name));
    else if (key === 'accessLogfile' && value === null) parsed = null;
    else parsed = check(option.parse, value, name);
    (settings as Record<string, unknown>)[key] = parsed;
  }
  return settings;
}

/** Defaults < environment < config file < command line; the application must be named somewhere. */
export async function resolveSettings(line: CommandLine, reload = 0): Promise<Settings> {
  const settings = defaultSettings();
  if (line.config !== null) Object.assign(settings, await readConfigFile(line.config, reload));
  Object.assign(settings, line.values);
  if (line.app !== null) settings.app = line.app;
  if (settings.app === null || parseTarget(settings.app).module === '') throw usageError('no application module given (see wasgi --help)');
  if (settings.bind.length === 0) throw usageError('--bind: no address given');
  checkLimits(settings);
  return settings;
}

export function limitsOf(s: Settings): Limits {
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

/** The core lays its memory out from the limits once: check that it fits before any worker starts. */
function checkLimits(s: Settings): void {
  const tooLarge = usageError(`--max-connections (${s.maxConnections}) times --limit-request-head (${s.limitRequestHead}) is more memory than a worker's core can have (4 GiB); lower one of them`);
  // Each connection has a window of about the head limit: check before the core's 32-bit layout can wrap.
  if (s.maxConnections * (s.limitRequestHead + 16384) >= 2 ** 32) throw tooLarge;
  try {
    new Core(limitsOf(s));
  } catch (error) {
    if (error instanceof RangeError) throw tooLarge;
    throw error;
  }
}

/** Which peers' X-Forwarded-For and X-Forwarded-Proto are believed. */
export class TrustedProxies {
  private readonly everyone: boolean = false;
  private readonly list = new net.BlockList();

  /** `spec`: "*", or addresses and networks (a.b.c.d/n, v6/n) separated by commas. */
  constructor(spec: string | readonly string[]) {
    const entries = (typeof spec === 'string' ? spec.split(',') : spec).map((e) => e.trim()).filter((e) => e !== '');
    for (const entry of entries) {
      if (entry === '*') {
        this.everyone = true;
        continue;
      }
      const [address, bits, extra] = entry.split('/');
      const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : null;
      const prefix = Number(bits);
      if (family === null || extra !== undefined ||
        (bits !== undefined && !(/^\d+$/.test(bits) && prefix <= (family === 'ipv4' ? 32 : 128)))) {
        throw new RangeError(`"${entry}" is not an IP address or network`);
      }
      if (bits === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, prefix, family);
    }
  }

  /** True for a trusted address; a Unix socket's peer (no address) is trusted, as in gunicorn. */
  trusts(address: string): boolean {
    if (address === '' || this.everyone) return true;
    const a = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
    const family = net.isIPv4(a) ? 'ipv4' : net.isIPv6(a) ? 'ipv6' : null;
    return family !== null && this.list.check(a, family);
  }
}

// Modules: the config file and the application.

/** An identifier after the last colon names the callable; anything else belongs to the path. */
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u;

export function parseTarget(target: string): { module: string; callable: string } {
  const colon = target.lastIndexOf(':');
  const hasCallable = colon >= 0 && IDENTIFIER.test(target.slice(colon + 1));
  return {
    module: hasCallable ? target.slice(0, colon) : target,
    callable: hasCallable ? target.slice(colon + 1) : DEFAULT_CALLABLE,
  };
}

function reason(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s*\n\s*/g, ' ');
}

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);
let typeScript: Promise<void> | null = null;

/**
 * Registers tsx's loaders once, for ES modules and for CommonJS (a `.ts` file in a "type":
 * "commonjs" package is CommonJS to Node): the project's own (next to the module or in the working
 * directory) first, else the one next to wasgi.
 */
function enableTypeScript(file: string): Promise<void> {
  typeScript ??= (async () => {
    for (const dir of [path.dirname(file), process.cwd(), null]) {
      const esm = await tsxApi('tsx/esm/api', dir, file);
      if (esm === null) continue;
      const cjs = await tsxApi('tsx/cjs/api', dir, file);
      esm();
      cjs?.();
      return;
    }
    throw new CliError(`${file} is TypeScript, which needs tsx: install it (npm install tsx) next to the application or wasgi`);
  })();
  typeScript.catch(() => { typeScript = null; });
  return typeScript;
}

/** The register() of a tsx API, found from `dir` (from wasgi itself when null); null when not installed there. */
async function tsxApi(specifier: string, dir: string | null, file: string): Promise<(() => unknown) | null> {
  let api: { register?: unknown; default?: { register?: unknown } };
  try {
    const target = dir === null ? specifier : importTarget(specifier, dir);
    if (target === null) return null;
    api = (await import(target)) as typeof api;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return null;
    throw new CliError(`cannot load tsx for ${file}: ${reason(error)}`);
  }
  const register = api.register ?? api.default?.register;
  if (typeof register !== 'function') throw new CliError(`cannot load tsx for ${file}: ${specifier} has no register() (tsx 4 or later is needed)`);
  return register as () => unknown;
}

/**
 * The file URL that `import(specifier)` would load from a module in `dir` (its "import" export),
 * or null when the package is not installed there. Node 20 resolves only for require() from
 * another directory, and tsx's CommonJS builds of its APIs do not register from there.
 */
function importTarget(specifier: string, dir: string): string | null {
  const [name, ...rest] = specifier.split('/');
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const root = path.join(at, 'node_modules', name);
    const manifest = path.join(root, 'package.json');
    if (existsSync(manifest)) {
      const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> }).exports ?? {};
      let entry = exports[`./${rest.join('/')}`];
      while (typeof entry === 'object' && entry !== null) {
        const conditions = entry as Record<string, unknown>;
        entry = conditions.import ?? conditions.default;
      }
      return typeof entry === 'string' ? pathToFileURL(path.join(root, entry)).href : null;
    }
    if (path.dirname(at) === at) return null;
  }
}

async function importFile(file: string, reload = 0): Promise<Record<string, unknown>> {
  if (TYPESCRIPT.has(path.extname(file))) await enableTypeScript(file);
  const url = pathToFileURL(file).href + (reload > 0 ? `?reload=${reload}` : '');
  const namespace = (await import(url)) as Record<string, unknown>;
  // An ES module compiled to CommonJS (TypeScript in a "commonjs" package): its exports are
  // module.exports, marked __esModule, which import() gives as the default export.
  const compiled = namespace.default as Record<string, unknown> | undefined;
  return Object.keys(namespace).length === 1 && typeof compiled === 'object' && compiled !== null && compiled.__esModule === true
    ? Object.fromEntries(Object.entries(compiled))
    : namespace;
}

/** Imports the module of `target` (MODULE[:CALLABLE]) and returns its callable. */
export async function loadApplication(target: string): Promise<Application> {
  const { module: spec, callable } = parseTarget(target);
  const file = path.resolve(spec);
  if (!existsSync(file)) throw new CliError(`module not found: ${file}`);
  let exports: Record<string, unknown>;
  try {
    exports = await importFile(file);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot import ${file}: ${reason(error)}`);
  }
  const app = exports[callable];
  if (typeof app === 'function') return app as Application;

  const functions = Object.keys(exports).filter((name) => typeof exports[name] === 'function');
  const problem = callable in exports
    ? `export '${callable}' is not a function (it is ${app === null ? 'null' : typeof app})`
    : `has no export '${callable}'`;
  const available = functions.length > 0 ? `its function exports: ${functions.join(', ')}` : 'it exports no functions';
  throw new CliError(`${spec}: ${problem}; ${available}`);
}

/** How a bind is shown: a URL for TCP, unix:PATH, fd://N. */
export function describeBind(bind: Bind): string {
  switch (bind.kind) {
    case 'tcp': return `http://${bind.host.includes(':') ? `[${bind.host}]` : bind.host}:${bind.port}`;
    case 'unix': return `unix:${bind.path}`;
    case 'fd': return `fd://${bind.fd}`;
  }
}
