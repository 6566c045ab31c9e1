// The wasgi command's settings as it reads them: the command line (and $WASGI_CMD_ARGS), the
// environment, and the config file, validated against the one table of settings (settings.ts);
// every wrong value is a one-line error naming it (exit code 2). The modules are loaded by
// modules.ts.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BY_KEY, defaults, limitsProblem, nearest, OPTIONS, parseBind, parseOption, settingsOf, show,
  type Bind, type Option, type Settings,
} from './settings.js';

export type { Bind, Settings } from './settings.js';
import { CliError, usageError } from './cli-error.js';
import { DEFAULT_CALLABLE, importFile, parseTarget, reason } from './modules.js';

const BY_FLAG = new Map(OPTIONS.map((o) => [o.flag, o]));
const BY_SHORT = new Map(OPTIONS.filter((o) => o.short !== undefined).map((o) => [o.short as string, o]));
/** gunicorn's names for the same settings. */
const ALIASES: Record<string, string> = { 'log-file': 'error-logfile' };
/** The config files the command reads from the working directory when none is named, as gunicorn reads ./gunicorn.conf.py. */
export const CONFIG_FILES = ['wasgi.config.mjs', 'wasgi.config.js', 'wasgi.config.cjs', 'wasgi.config.ts', 'wasgi.config.mts', 'wasgi.config.json'];


export const USAGE = `Usage: wasgi [OPTIONS] MODULE[:CALLABLE]

Serve the PEP 3333 application CALLABLE (default: ${DEFAULT_CALLABLE}) exported by the module at
MODULE (an ES module, or TypeScript when tsx is installed; relative to the current directory).

Options:
${[
    ...OPTIONS.map((o) => [`${o.short ? `-${o.short}, ` : '    '}--${o.flag} ${o.meta}`, o.help]),
    ['-c, --config FILE', 'a JS, TS or JSON file of settings (camelCase names, e.g. maxRequests); the command line wins'],
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

Settings come from, each over the one before: the defaults; the environment (WEB_CONCURRENCY,
FORWARDED_ALLOW_IPS, PORT); the config file (-c, else the first of ./wasgi.config.mjs, .js,
.cjs, .ts, .mts, .json); $WASGI_CMD_ARGS; the command line. gunicorn's spellings work too
(--limit-request-field_size, --log-file for --error-logfile).

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
      // gunicorn spells some flags with underscores (--limit-request-field_size).
      name = (eq < 0 ? arg.slice(2) : arg.slice(2, eq)).replace(/_/g, '-');
      name = ALIASES[name] ?? name;
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
    if (option === undefined && name !== 'config') {
      const near = nearest(name, [...BY_FLAG.keys(), 'config', 'check-config', 'help', 'version']);
      throw usageError(`unknown option '${arg.split('=')[0]}'${near !== null ? ` (did you mean --${near}?)` : ''} (see wasgi --help)`);
    }
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
    (line.values as Record<string, unknown>)[option.key] = parseOption(option, option.multiple ? values : values[0], `--${option.flag}`, usageError);
  }
  return line;
}

/**
 * The command line after $WASGI_CMD_ARGS (as gunicorn's GUNICORN_CMD_ARGS): its options are
 * taken first and the real command line's win, setting by setting.
 */
export function parseArguments(argv: string[], env: NodeJS.ProcessEnv = process.env): CommandLine {
  const line = parseCommandLine(argv);
  const extra = env.WASGI_CMD_ARGS?.trim();
  if (extra === undefined || extra === '' || line.help || line.version) return line;
  let fromEnv: CommandLine;
  try {
    fromEnv = parseCommandLine(extra.split(/\s+/));
  } catch (error) {
    throw usageError(`WASGI_CMD_ARGS: ${(error as Error).message}`);
  }
  return {
    ...line,
    checkConfig: line.checkConfig || fromEnv.checkConfig,
    config: line.config ?? fromEnv.config,
    app: line.app ?? fromEnv.app,
    values: { ...fromEnv.values, ...line.values },
  };
}

function check(option: Option, value: unknown, name: string): unknown {
  return parseOption(option, value, name, usageError);
}

/** Defaults, then the environment: WEB_CONCURRENCY, FORWARDED_ALLOW_IPS, and PORT (0.0.0.0:$PORT, as gunicorn). */
export function defaultSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const s = defaults();
  const fromEnv = (name: string, key: keyof Settings): unknown => check(BY_KEY.get(key) as Option, env[name], name);
  if (env.WEB_CONCURRENCY !== undefined && env.WEB_CONCURRENCY !== '') s.workers = fromEnv('WEB_CONCURRENCY', 'workers') as number;
  if (env.FORWARDED_ALLOW_IPS !== undefined) s.forwardedAllowIps = fromEnv('FORWARDED_ALLOW_IPS', 'forwardedAllowIps') as string;
  if (env.PORT !== undefined && env.PORT !== '') {
    if (!/^\d+$/.test(env.PORT) || Number(env.PORT) > 65535) throw usageError(`PORT must be a port from 0 to 65535, got ${show(env.PORT)}`);
    s.bind = [parseBind(`0.0.0.0:${env.PORT}`)];
  }
  return s;
}

/** The settings a config module exports (a default export object and/or named exports), validated. */
export async function readConfigFile(file: string, reload = 0): Promise<Partial<Settings>> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw usageError(`--config: file not found: ${abs}`);
  let exports: Record<string, unknown>;
  try {
    exports = abs.endsWith('.json') ? { default: JSON.parse(readFileSync(abs, 'utf8')) as unknown } : await importFile(abs, reload);
  } catch (error) {
    if (error instanceof CliError) throw new CliError(error.message, 2);
    throw usageError(`cannot ${abs.endsWith('.json') ? 'read' : 'import'} config file ${abs}: ${reason(error)}`);
  }
  const values: Record<string, unknown> = {};
  if (exports.default !== undefined) {
    const d = exports.default;
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw usageError(`${file}: the default export must be an object of settings, got ${show(d)}`);
    Object.assign(values, d);
  }
  for (const [key, value] of Object.entries(exports)) if (key !== 'default') values[key] = value;
  return settingsOf(values, (key) => `${file}: ${key}`, (key) => `${file}: unknown setting '${key}'`, usageError);
}

/** Defaults < environment < config file < command line; the application must be named somewhere. */
export async function resolveSettings(line: CommandLine, reload = 0): Promise<Settings> {
  const settings = defaultSettings();
  const config = line.config ?? CONFIG_FILES.find((name) => existsSync(name)) ?? null;
  if (config !== null) Object.assign(settings, await readConfigFile(config, reload));
  Object.assign(settings, line.values);
  if (line.app !== null) settings.app = line.app;
  if (settings.app === null || parseTarget(settings.app).module === '') throw usageError('no application module given (see wasgi --help)');
  if (settings.bind.length === 0) throw usageError('--bind: no address given');
  const problem = limitsProblem(settings, (key) => `--${(BY_KEY.get(key) as Option).flag}`);
  if (problem !== null) throw usageError(problem);
  return settings;
}

/** How a bind is shown: a URL for TCP, unix:PATH, fd://N. */
export function describeBind(bind: Bind): string {
  switch (bind.kind) {
    case 'tcp': return `http://${bind.host.includes(':') ? `[${bind.host}]` : bind.host}:${bind.port}`;
    case 'unix': return `unix:${bind.path}`;
    case 'fd': return `fd://${bind.fd}`;
  }
}
