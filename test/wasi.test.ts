// The parser outside the server: the WASI command build/wasgi-parse.wasm under three runtimes
// (node:wasi, @bjorn3/browser_wasi_shim, and its component under `jco run`), and the component
// build/wasgi-parser.component.wasm (wit/wasgi.wit) transpiled by jco, against the conformance
// tables. All of them run the server's own core (assembly/), built by `npm run build:wasi`
// (here, when missing or stale).

import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
import { ConsoleStdout, Fd, File, OpenFile, WASI as ShimWASI } from '@bjorn3/browser_wasi_shim';
import { invalidCases, validCases, type ExpectedRequest } from './parser.cases.js';
import { ensureWasiBuilt } from './helpers/wasi-build.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const COMMAND = join(root, 'build/wasgi-parse.wasm');
const COMMAND_COMPONENT = join(root, 'build/wasgi-parse.component.wasm');
const PARSER_JS = join(root, 'build/wasgi-parser-js/wasgi-parser.js');
const PARSER_CORE = join(root, 'build/wasgi-parser.wasm');
const JCO = join(root, 'node_modules/@bytecodealliance/jco/dist/jco.js');

beforeAll(() => ensureWasiBuilt([COMMAND, COMMAND_COMPONENT, PARSER_JS, PARSER_CORE]), 180_000);

interface Run {
  stdout: Buffer;
  code: number;
  stderr?: string;
}

type Environ = Record<string, string>;
interface ErrorLine {
  error: number;
  reason: string;
  status: number;
  offset: number;
}

// --- the three ways to run the command ----------------------------------------------------------

let module: WebAssembly.Module;
let scratch: string;

/** Node's own WASI (preview1), stdin and stdout on temporary files. */
function runNodeWasi(input: Buffer): Run {
  const inPath = join(scratch, 'in');
  const outPath = join(scratch, 'out');
  writeFileSync(inPath, input);
  writeFileSync(outPath, '');
  const stdin = openSync(inPath, 'r');
  const stdout = openSync(outPath, 'w');
  try {
    // node:wasi refuses empty args/env with this module's imports: give one of each.
    const wasi = new WASI({ version: 'preview1', stdin, stdout, stderr: 2, returnOnExit: true });
    const instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(instance);
    return { stdout: readFileSync(outPath), code };
  } finally {
    closeSync(stdin);
    closeSync(stdout);
  }
}

/** A stdin that hands out at most `step` bytes per read, as a slow network peer would. */
class Trickle extends Fd {
  private at = 0;
  constructor(private readonly bytes: Uint8Array, private readonly step: number) { super(); }
  override fd_read(size: number): { ret: number; data: Uint8Array } {
    const n = Math.min(size, this.step, this.bytes.length - this.at);
    const data = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return { ret: 0, data };
  }
}

/** @bjorn3/browser_wasi_shim: a pure-JS preview1 with an in-memory stdin. */
function runBrowserShim(input: Buffer, step?: number): Run {
  const chunks: Buffer[] = [];
  const errors: Buffer[] = [];
  const fds = [
    step ? new Trickle(new Uint8Array(input), step) : new OpenFile(new File(new Uint8Array(input))),
    new ConsoleStdout((b) => { chunks.push(Buffer.from(b)); }),
    new ConsoleStdout((b) => { errors.push(Buffer.from(b)); }),
  ];
  const wasi = new ShimWASI(['wasgi-parse'], ['A=1'], fds);
  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi.wasiImport as WebAssembly.ModuleImports });
  const code = wasi.start(instance as unknown as { exports: { memory: WebAssembly.Memory; _start: () => unknown } });
  if (errors.length) throw new Error(`stderr: ${Buffer.concat(errors).toString()}`);
  return { stdout: Buffer.concat(chunks), code };
}

/**
 * The command component (preview1 adapter) under `jco run`, a process with stdin piped. Its
 * stdout goes to a file: jco run exits with process.exit(), which drops what Node has not yet
 * written to a pipe whose reader is slower (seen: output cut short under load).
 */
function runJco(input: Buffer, outPath: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const out = openSync(outPath, 'w');
    const child = spawn(process.execPath, [JCO, 'run', COMMAND_COMPONENT], { stdio: ['pipe', out, 'pipe'] });
    closeSync(out);
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // the command reads all input, but do not fail on EPIPE
    child.on('error', reject);
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString();
      if (code !== 0 && code !== 1) reject(new Error(`jco run exited with ${code}: ${stderr}`));
      else resolve({ stdout: readFileSync(outPath), code, stderr });
    });
    child.stdin.end(input);
  });
}

async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

// --- expectations from the case tables ----------------------------------------------------------

/** The environ keys the command writes for a request, as wasgi's environ builds them. */
function cgi(r: ExpectedRequest): Environ {
  const env: Environ = {
    REQUEST_METHOD: r.method,
    SCRIPT_NAME: '',
    PATH_INFO: r.path,
    QUERY_STRING: r.query,
    SERVER_PROTOCOL: `HTTP/${r.version}`,
    RAW_URI: r.target,
  };
  for (const [name, value] of r.headers) {
    if (name.includes('_')) continue;
    const upper = name.toUpperCase().replace(/-/g, '_');
    const key = upper === 'CONTENT_TYPE' || upper === 'CONTENT_LENGTH' ? upper : `HTTP_${upper}`;
    env[key] = key in env ? `${env[key]}${key === 'HTTP_COOKIE' ? '; ' : ', '}${value}` : value;
  }
  env.body = Buffer.from(r.body, 'latin1').toString('base64');
  return env;
}

function lines(stdout: Buffer): unknown[] {
  // Valid UTF-8 throughout (latin-1 bytes are written as code points).
  const text = new TextDecoder('utf-8', { fatal: true }).decode(stdout);
  if (text === '') return [];
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as unknown);
}

const rq = (o: Partial<ExpectedRequest>): ExpectedRequest => ({
  method: 'GET', target: '/', version: '1.1', path: o.target ?? '/', query: '', headers: [['Host', 'h']],
  body: '', keepAlive: true, ...o,
});

interface Input {
  name: string;
  input: string; // latin-1
  requests?: ExpectedRequest[]; // all of them, when the input is valid
  status?: number; // the error's, when it is not
  code?: number; // the error code, when known
  offset?: number; // the error offset, when known
  before?: number; // requests accepted before the error (default 0)
}

/** Valid cases from the tables run through the command (the component runs them all). */
const VALID = [
  'simple GET HTTP/1.1 with Host',
  'HTTP/1.0 request without Host is allowed and not persistent',
  'sixteen pipelined requests of mixed shapes',
  'HTTP/1.1 Connection: close stops parsing; the next request is ignored',
  'Content-Length body with CRLF, NUL and 0xFF bytes',
  'chunked request followed by a pipelined request',
  'percent-decoding %00, %80 and %FF',
  'whole head of exactly 65536 bytes',
];

/** Invalid cases from the tables run through the command (the component runs them all). */
const INVALID = [
  'two SP between method and target',
  'HTTP/2.0 is not supported',
  'Content-Length one above 16 MiB',
  'Transfer-Encoding gzip, chunked is not implemented',
  'chunk data followed by extra byte',
  'Expect with an unknown value',
  'request line far over the limit without any CRLF yet',
  '101 header fields',
  'body without Content-Length is parsed as the next request line',
];

/** Invalid cases whose first request is accepted before the error. */
const ACCEPTED_BEFORE: Record<string, number> = {
  // POST without a length has no body: "hello world" is read as the next request line.
  'body without Content-Length is parsed as the next request line': 1,
};
const OFFSET: Record<string, number> = {
  'body without Content-Length is parsed as the next request line': 'POST / HTTP/1.1\r\nHost: example.com\r\n\r\n'.length,
};

function inputs(): Input[] {
  const list: Input[] = [];
  for (const name of VALID) {
    const c = validCases.find((v) => v.name === name);
    if (!c) throw new Error(`no valid case ${name}`);
    list.push({ name, input: c.input, requests: c.requests });
  }
  for (const name of INVALID) {
    const c = invalidCases.find((v) => v.name === name);
    if (!c) throw new Error(`no invalid case ${name}`);
    list.push({ name, input: c.input, status: c.status, before: ACCEPTED_BEFORE[name] ?? 0, offset: OFFSET[name] ?? 0 });
  }
  const ok = 'GET /ok HTTP/1.1\r\nHost: example.com\r\n\r\n';
  list.push({
    name: 'valid first request followed by an invalid one',
    input: invalidCases.find((c) => c.name === 'valid first request followed by an invalid one')!.input,
    status: 400, code: 15, offset: ok.length, before: 1,
  });
  // Beyond the tables: what only a stream has.
  list.push({ name: 'empty input', input: '', requests: [] });
  list.push({ name: 'only empty lines', input: '\r\n\r\n', requests: [] });
  const head = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n';
  list.push({ name: 'head cut short at the end of input', input: `${head}GET /x HTTP/1.1\r\nHo`, status: 400, code: 0, offset: head.length, before: 1 });
  list.push({ name: 'body cut short at the end of input', input: `${head}POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc`, status: 400, code: 0, offset: head.length, before: 1 });
  list.push({
    name: 'cookies joined with "; ", repeats with ", ", names with "_" dropped',
    input: 'POST /f HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nX-Y: 1\r\ncookie: b=2\r\nX_Y: hidden\r\nx-y: \xe92\r\nContent-Type: text/plain; charset=latin-1\r\nContent-Length: 4\r\n\r\n\x00\x7f\x80\xff',
    requests: [rq({
      method: 'POST', target: '/f', body: '\x00\x7f\x80\xff',
      headers: [['Host', 'h'], ['Cookie', 'a=1'], ['X-Y', '1'], ['cookie', 'b=2'], ['X_Y', 'hidden'], ['x-y', '\xe92'], ['Content-Type', 'text/plain; charset=latin-1'], ['Content-Length', '4']],
    })],
  });
  // A body far larger than the window, chunked, then a pipelined request: the window compacts
  // many times and the second request's offset must still count from the start of the input.
  const big = Array.from({ length: 300_000 }, (_, i) => String.fromCharCode((i * 7) & 0xff)).join('');
  let chunked = '';
  for (let at = 0; at < big.length; at += 7001) chunked += `${Math.min(7001, big.length - at).toString(16)}\r\n${big.slice(at, at + 7001)}\r\n`;
  const first = `PUT /big HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}0\r\n\r\n`;
  list.push({
    name: 'chunked body of 300 000 bytes, then a bad request (offset past many window compactions)',
    input: `${first}GET  / HTTP/1.1\r\n\r\n`,
    status: 400, code: 2, offset: first.length, before: 1,
  });
  // Many small pipelined requests over several windows' worth of input.
  const many = Array.from({ length: 3000 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: h\r\n\r\n`);
  list.push({
    name: '3000 pipelined requests, then one without Host',
    input: `${many.join('')}GET /last HTTP/1.1\r\n\r\n`,
    status: 400, code: 15, offset: many.join('').length, before: 3000,
  });
  return list;
}

function checkAgainstTables(t: Input, run: Run): void {
  const out = lines(run.stdout);
  if (t.requests) {
    expect(run.code).toBe(0);
    expect(out).toEqual(t.requests.map(cgi));
    return;
  }
  expect(run.code).toBe(1);
  expect(out.length).toBe((t.before ?? 0) + 1);
  const error = out[out.length - 1] as ErrorLine;
  expect(Object.keys(error)).toEqual(['error', 'reason', 'status', 'offset']);
  expect(error.status).toBe(t.status);
  expect(error.reason.length).toBeGreaterThan(0);
  if (t.code !== undefined) expect(error.error).toBe(t.code);
  if (t.code === 0) expect(error.reason).toBe('incomplete request');
  expect(error.offset).toBe(t.offset ?? 0);
  for (const line of out.slice(0, -1)) expect(line).toHaveProperty('REQUEST_METHOD');
}

// --- the command --------------------------------------------------------------------------------

const cases = inputs();
const runs = new Map<string, { node: Run; shim: Run; jco: Run }>();

describe('wasgi-parse (WASI command)', () => {
  beforeAll(async () => {
    module = new WebAssembly.Module(readFileSync(COMMAND));
    scratch = mkdtempSync(join(tmpdir(), 'wasgi-wasi-'));
    try {
      const jco = await pool(cases, 3, (t) => runJco(Buffer.from(t.input, 'latin1'), join(scratch, `jco-${cases.indexOf(t)}`)));
      cases.forEach((t, i) => {
        const bytes = Buffer.from(t.input, 'latin1');
        runs.set(t.name, { node: runNodeWasi(bytes), shim: runBrowserShim(bytes), jco: jco[i] });
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 240_000);

  it('imports only wasi_snapshot_preview1 and exports _start and memory', () => {
    const imports = WebAssembly.Module.imports(module);
    expect(imports.length).toBeGreaterThan(0);
    expect(new Set(imports.map((i) => i.module))).toEqual(new Set(['wasi_snapshot_preview1']));
    expect(WebAssembly.Module.exports(module).map((e) => e.name).sort()).toEqual(['_start', 'memory']);
  });

  it(`covers ${cases.length} inputs (valid, invalid, pipelined)`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(runs.size).toBe(cases.length);
  });

  describe.each(cases.map((t): [string, Input] => [t.name, t]))('%s', (name, t) => {
    it('gives the same stdout and exit status under node:wasi, browser_wasi_shim and jco run', () => {
      const r = runs.get(name)!;
      expect(r.shim.code, 'browser_wasi_shim').toBe(r.node.code);
      expect(r.jco.code, `jco run: ${r.jco.stderr}`).toBe(r.node.code);
      expect(r.shim.stdout.toString('latin1'), 'browser_wasi_shim').toBe(r.node.stdout.toString('latin1'));
      expect(r.jco.stdout.toString('latin1'), `jco run: ${r.jco.stderr}`).toBe(r.node.stdout.toString('latin1'));
    });

    it('matches the case tables', () => {
      checkAgainstTables(t, runs.get(name)!.node);
    });

    it('gives the same output when stdin hands out one byte per read (1000 for long inputs)', () => {
      const r = runBrowserShim(Buffer.from(t.input, 'latin1'), t.input.length > 70_000 ? 1000 : 1);
      expect(r.code).toBe(runs.get(name)!.node.code);
      expect(r.stdout.toString('latin1')).toBe(runs.get(name)!.node.stdout.toString('latin1'));
    });
  });

  it('host/wasi/run-parse.mjs runs it with the process\'s own stdio and exit status', async () => {
    const t = cases.find((c) => c.name === 'valid first request followed by an invalid one')!;
    const dir = mkdtempSync(join(tmpdir(), 'wasgi-wasi-'));
    try {
      const outPath = join(dir, 'out');
      const out = openSync(outPath, 'w');
      const child = spawn(process.execPath, [join(root, 'host/wasi/run-parse.mjs')], { stdio: ['pipe', out, 'pipe'] });
      closeSync(out);
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
      child.stdin.end(Buffer.from(t.input, 'latin1'));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(1);
      expect(readFileSync(outPath).equals(runs.get(t.name)!.node.stdout)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the environ the server would build (keys, joins, decoding)', () => {
    const out = lines(runs.get('cookies joined with "; ", repeats with ", ", names with "_" dropped')!.node.stdout);
    expect(out).toEqual([{
      REQUEST_METHOD: 'POST', SCRIPT_NAME: '', PATH_INFO: '/f', QUERY_STRING: '', SERVER_PROTOCOL: 'HTTP/1.1', RAW_URI: '/f',
      HTTP_HOST: 'h', HTTP_COOKIE: 'a=1; b=2', HTTP_X_Y: '1, \xe92', CONTENT_TYPE: 'text/plain; charset=latin-1', CONTENT_LENGTH: '4',
      body: Buffer.from([0, 0x7f, 0x80, 0xff]).toString('base64'),
    }]);
  });
});

// --- the component (wit/wasgi.wit), transpiled by jco ----------------------------------------

interface ComponentRequest {
  method: string;
  target: string;
  version: string;
  path: string;
  query: string;
  headers: [string, string][];
  body: Uint8Array;
  keepAlive: boolean;
  offset: bigint;
}
interface ComponentParseError {
  code: number;
  status: number;
  reason: string;
  offset: bigint;
  requests: ComponentRequest[];
}
type Parse = (input: Uint8Array) => ComponentRequest[];

let parse: Parse;

function asExpected(r: ComponentRequest): ExpectedRequest {
  return {
    method: r.method,
    target: r.target,
    version: r.version as '1.0' | '1.1',
    path: r.path,
    query: r.query,
    headers: r.headers.map(([n, v]) => [n, v]),
    body: Buffer.from(r.body).toString('latin1'),
    keepAlive: r.keepAlive,
  };
}

function parseOrError(input: string): { requests: ComponentRequest[]; error?: ComponentParseError } {
  try {
    return { requests: parse(new Uint8Array(Buffer.from(input, 'latin1'))) };
  } catch (e) {
    const payload = (e as { payload?: ComponentParseError }).payload;
    if (!payload) throw e;
    return { requests: payload.requests, error: payload };
  }
}

describe('wasgi-parser component (transpiled by jco)', () => {
  beforeAll(async () => {
    ({ parse } = (await import(PARSER_JS)) as { parse: Parse });
  });

  describe('valid requests', () => {
    it.each(validCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const { requests, error } = parseOrError(c.input);
      expect(error).toBeUndefined();
      expect(requests.map(asExpected)).toEqual(c.requests);
    });
  });

  describe('invalid requests', () => {
    it.each(invalidCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const { error } = parseOrError(c.input);
      expect(error).toBeDefined();
      expect(error!.status).toBe(c.status);
      expect(error!.code).toBeGreaterThan(0);
      expect(error!.reason.length).toBeGreaterThan(0);
    });
  });

  it('agrees with the command on every input above (requests, error code, reason, offset)', () => {
    for (const t of cases) {
      const { requests, error } = parseOrError(t.input);
      const out = lines(runs.get(t.name)?.node.stdout ?? runNodeWasiOnce(t.input));
      const envs = requests.map((r) => cgi(asExpected(r)));
      if (error) {
        expect(out, t.name).toEqual([...envs, { error: error.code, reason: error.reason, status: error.status, offset: Number(error.offset) }]);
      } else {
        expect(out, t.name).toEqual(envs);
      }
    }
  });

  it('reports where each request starts', () => {
    const a = 'GET /a HTTP/1.1\r\nHost: h\r\n\r\n';
    const b = 'POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi';
    const { requests } = parseOrError(`${a}\r\n${b}${a}`);
    expect(requests.map((r) => r.offset)).toEqual([0n, BigInt(a.length + 2), BigInt(a.length + 2 + b.length)]);
  });

  it('can be called many times', () => {
    const input = `POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(100_000)}`;
    for (let i = 0; i < 50; i++) expect(parseOrError(input).requests[0].body.length).toBe(100_000);
  });

  it('gives its memory back after each call (the core module, canonical ABI by hand)', () => {
    // build/wasgi-parser.wasm imports nothing: call it as a component host would.
    const core = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(PARSER_CORE)), {});
    const x = core.exports as unknown as {
      memory: WebAssembly.Memory;
      _initialize(): void;
      cabi_realloc(old: number, oldSize: number, align: number, size: number): number;
      parse(ptr: number, len: number): number;
      cabi_post_parse(ret: number): void;
    };
    x._initialize();
    const input = Buffer.from(`POST /x HTTP/1.1\r\nHost: h\r\nX: \xe9\r\nContent-Length: 100000\r\n\r\n${'y'.repeat(100_000)}`, 'latin1');
    const sizes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p = x.cabi_realloc(0, 0, 1, input.length);
      new Uint8Array(x.memory.buffer, p, input.length).set(input);
      const ret = x.parse(p, input.length);
      const view = new DataView(x.memory.buffer);
      expect(view.getUint8(ret)).toBe(0); // ok
      expect(view.getUint32(ret + 12, true)).toBe(1); // one request
      const req = view.getUint32(ret + 8, true);
      const headers = view.getUint32(req + 40, true);
      const value = new Uint8Array(x.memory.buffer, view.getUint32(headers + 16 + 8, true), view.getUint32(headers + 16 + 12, true));
      expect(Buffer.from(value).toString('utf8')).toBe('\xe9'); // latin-1 0xE9 as UTF-8
      expect(view.getUint32(req + 52, true)).toBe(100_000); // body length
      x.cabi_post_parse(ret);
      sizes.push(x.memory.buffer.byteLength);
    }
    expect(new Set(sizes.slice(1)).size).toBe(1);
  });
});

/** Used only if the command's suite did not run (a filtered run). */
function runNodeWasiOnce(input: string): Buffer {
  module ??= new WebAssembly.Module(readFileSync(COMMAND));
  const made = !scratch || !existsSync(scratch);
  if (made) scratch = mkdtempSync(join(tmpdir(), 'wasgi-wasi-'));
  try {
    return runNodeWasi(Buffer.from(input, 'latin1')).stdout;
  } finally {
    if (made) rmSync(scratch, { recursive: true, force: true });
  }
}
