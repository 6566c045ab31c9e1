#!/usr/bin/env node
// Parser microbenchmark, in one process: wasgi's WebAssembly core (sans-IO, as the host drives it)
// against Node's native llhttp (the http_parser binding) and undici's llhttp WebAssembly build.
// Every parser produces the same output per request: method, target, version, header names and
// values as strings (in order, as sent), and the body bytes; outputs are checked equal before timing.
// It also times build/wasgi.wasm (built with the WASI shim) against the same core built without
// it (build/wasgi.noimports.wasm, made here from bench/asconfig.noimports.json), to show that the
// shim costs nothing on the hot path.
//
//   node bench/parser.mjs
//
// Environment: BENCH_PARSER_RUNS (timed runs per parser per workload, default 9),
// BENCH_PARSER_MS (target milliseconds per run, default 200).
// Writes bench/results/parser-<date>.json and bench/results/parser-latest.json; Markdown on stdout.

import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, RESULTS_DIR, envNumber, median, gitInfo, machineInfo, requireBuild, progress, progressDone, stamp, commandLine } from './lib/common.mjs';
import { parserMarkdown } from './lib/markdown.mjs';

requireBuild();
const { Core, F_HTTP11, F_HAS_BODY } = await import('../dist/src/core.js');
const { RequestRecord } = await import('../dist/src/record.js');
const { MemoryConnection } = await import('../dist/src/memory-connection.js');
const { BODY_COMPLETE } = await import('../dist/src/contract.generated.js');

const require = createRequire(import.meta.url);
const RUNS = Math.round(envNumber('BENCH_PARSER_RUNS', 9));
const RUN_MS = envNumber('BENCH_PARSER_MS', 200);

/** The core without the WASI shim: stub runtime, abort compiled away, no imports (not part of npm run build). */
function buildNoImportsCore() {
  const asc = path.join(ROOT, 'node_modules/assemblyscript/bin/asc.js');
  execFileSync(process.execPath, [asc, 'assembly/index.ts', '--config', 'bench/asconfig.noimports.json'], { cwd: ROOT, stdio: 'inherit' });
  return path.join(ROOT, 'build/wasgi.noimports.wasm');
}
const coreAt = (file) => new WebAssembly.Module(readFileSync(file));

// ---------------------------------------------------------------------------------------------
// Workloads.

const BROWSER_GET =
  'GET /articles/2026/11/wasgi-benchmarks?ref=home&page=2 HTTP/1.1\r\n' +
  'Host: www.example.com\r\n' +
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0\r\n' +
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n' +
  'Accept-Language: en-US,en;q=0.5\r\n' +
  'Accept-Encoding: gzip, deflate, br, zstd\r\n' +
  'Referer: https://www.example.com/\r\n' +
  'Cookie: session=3f2b9c1d8e7a6f5b4c3d2e1f0a9b8c7d; theme=dark; _ga=GA1.2.1234567890.1732600000\r\n' +
  'Connection: keep-alive\r\n' +
  '\r\n';

const POST_1K =
  'POST /api/v1/items HTTP/1.1\r\n' +
  'Host: api.example.com\r\n' +
  'User-Agent: bench/1.0\r\n' +
  'Accept: application/json\r\n' +
  'Content-Type: application/json\r\n' +
  'Content-Length: 1024\r\n' +
  '\r\n' +
  `{"data":"${'x'.repeat(1024 - 11)}"}`;

const SMALL_GET = 'GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: text/plain\r\nConnection: keep-alive\r\n\r\n';

const WORKLOADS = [
  { id: 'get', title: 'GET, 8 browser headers', input: Buffer.from(BROWSER_GET, 'latin1'), requests: 1 },
  { id: 'post1k', title: 'POST, 1 KiB body', input: Buffer.from(POST_1K, 'latin1'), requests: 1 },
  { id: 'pipelined', title: '16 pipelined GETs (one buffer)', input: Buffer.from(SMALL_GET.repeat(16), 'latin1'), requests: 16 },
];
if (Buffer.byteLength(POST_1K.slice(POST_1K.indexOf('\r\n\r\n') + 4)) !== 1024) throw new Error('POST body is not 1 KiB');

// ---------------------------------------------------------------------------------------------
// Parsers. Each: { id, label, make(onRequest) -> { execute(buffer) } }. onRequest(record).

let sink = 0;
const consume = (r) => { sink = (sink + r.headers.length + r.target.length + r.body.length) | 0; };

/** wasgi's core, driven sans-IO through the driver the tests and the fuzzer use (src/memory-connection.ts). */
function wasgiParser(onRequest, { strings = true, module } = {}) {
  const core = new Core({ maxConnections: 1 }, module);
  let current = null;
  let chunks = [];

  const finish = () => {
    const body = chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    current.body = body;
    onRequest(current);
    current = null;
    chunks = [];
    connection.done(false);
  };

  // As src/environ.ts: every string is a substring of the head, copied out once (src/record.ts).
  const request = (conn) => {
    const record = new RequestRecord(core, conn.id);
    if (!strings) return { method: '', target: '', version: '', headers: EMPTY_ARRAY, body: EMPTY, flags: record.flags };
    const headers = new Array(record.fieldCount * 2);
    for (let i = 0; i < record.fieldCount; i++) {
      headers[2 * i] = record.fieldName(i);
      headers[2 * i + 1] = record.fieldValue(i);
    }
    return { method: record.method, target: record.target, version: record.flags & F_HTTP11 ? '1.1' : '1.0', headers, body: EMPTY, flags: record.flags };
  };

  const connection = new MemoryConnection(core, {
    callApp(conn) {
      current = request(conn);
      if ((current.flags & F_HAS_BODY) === 0) finish();
    },
    body(_, address, length) {
      const bytes = Buffer.allocUnsafe(length);
      core.bytes.copy(bytes, 0, address, address + length);
      chunks.push(bytes);
    },
    bodyEnd(_, how) {
      if (how !== BODY_COMPLETE) throw new Error('wasgi: body failed');
      finish();
    },
    error(_, code) { throw new Error(`wasgi: error ${code}`); },
    close() { throw new Error('wasgi: connection closed'); },
  });
  // Each execute is one read (the server's come from the landing zone; here, from the input buffer).
  return { execute: (input) => connection.feed(input) };
}
const EMPTY = Buffer.alloc(0);
const EMPTY_ARRAY = [];

/** Node's native llhttp through the http_parser binding, as _http_common uses it. */
function nativeParser(onRequest) {
  const { HTTPParser, methods } = require('_http_common');
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {});
  let current = null;
  let chunks = [];
  let pendingHeaders = [];
  let pendingUrl = '';
  parser[HTTPParser.kOnHeaders] = (headers, url) => {
    // More than 32 fields (or a head split across reads): Node hands them over in parts.
    pendingHeaders = pendingHeaders.concat(headers);
    pendingUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (versionMajor, versionMinor, headers, method, url) => {
    if (pendingHeaders.length || pendingUrl) {
      headers = pendingHeaders.concat(headers ?? []);
      url = pendingUrl + (url ?? '');
      pendingHeaders = [];
      pendingUrl = '';
    }
    current = { method: methods[method], target: url, version: `${versionMajor}.${versionMinor}`, headers, body: EMPTY };
    return 0;
  };
  parser[HTTPParser.kOnBody] = (b, start, len) => {
    // Node 20 passes a copy; older versions passed (buffer, start, length).
    chunks.push(start === undefined ? b : Buffer.from(b.subarray(start, start + len)));
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    current.body = chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    chunks = [];
    onRequest(current);
    current = null;
  };
  parser[HTTPParser.kOnExecute] = () => {};
  return {
    execute(input) {
      const r = parser.execute(input);
      if (r instanceof Error) throw r;
    },
  };
}

/** undici's llhttp WebAssembly build: from the undici package if installed, else from Node's bundled copy. */
function findUndiciLlhttp() {
  const tried = [];
  try {
    const p = require.resolve('undici/lib/llhttp/llhttp-wasm.js');
    const mod = require(p);
    return { bytes: Buffer.isBuffer(mod) ? mod : Buffer.from(mod, 'base64'), source: `undici package (${path.relative(ROOT, p)})` };
  } catch (e) { tried.push(`undici package: ${e.code ?? e.message}`); }
  try {
    // Node bundles undici as one internal module; its llhttp build is a base64 string in it.
    const natives = process.binding('natives');
    const src = natives['internal/deps/undici/undici'];
    const at = src?.indexOf('"lib/llhttp/llhttp-wasm.js"') ?? -1;
    const m = at >= 0 ? /Buffer2?\.from\("([A-Za-z0-9+/=]+)", "base64"\)/.exec(src.slice(at, at + 200000)) : null;
    if (m) return { bytes: Buffer.from(m[1], 'base64'), source: `Node ${process.version} bundled undici (lib/llhttp/llhttp-wasm.js)` };
    tried.push('Node bundled undici: llhttp-wasm.js not found in internal/deps/undici/undici');
  } catch (e) { tried.push(`Node bundled undici: ${e.message}`); }
  return { bytes: null, reason: tried.join('; ') };
}

function undiciParserFactory(bytes) {
  const module = new WebAssembly.Module(bytes);
  return (onRequest) => {
    let cur = null; // this parser's state (one parser per instance here)
    let mem = null;
    const text = (at, len) => mem.latin1Slice(at, at + len);
    const instance = new WebAssembly.Instance(module, {
      env: {
        wasm_on_message_begin: () => { cur.begin(); return 0; },
        wasm_on_url: (p, at, len) => { cur.url += text(at, len); return 0; },
        wasm_on_status: () => 0,
        wasm_on_header_field: (p, at, len) => { cur.field(text(at, len)); return 0; },
        wasm_on_header_value: (p, at, len) => { cur.value(text(at, len)); return 0; },
        wasm_on_headers_complete: () => { cur.headersComplete(); return 0; },
        wasm_on_body: (p, at, len) => { const b = Buffer.allocUnsafe(len); mem.copy(b, 0, at, at + len); cur.chunks.push(b); return 0; },
        wasm_on_message_complete: () => { cur.complete(); return 0; },
      },
    });
    const x = instance.exports;
    if (typeof x._initialize === 'function') x._initialize();
    const ptr = x.llhttp_alloc(1 /* HTTP_REQUEST */);
    const methodNames = [];
    const cString = (p) => { const end = mem.indexOf(0, p); return mem.latin1Slice(p, end); };
    let size = 64 * 1024;
    let buf = x.malloc(size);
    const refresh = () => { if (mem === null || mem.buffer !== x.memory.buffer) mem = Buffer.from(x.memory.buffer); };
    refresh();
    const state = {
      url: '', headers: [], lastWasValue: false, chunks: [], request: null,
      begin() { this.url = ''; this.headers = []; this.lastWasValue = false; this.chunks = []; },
      field(s) {
        if (this.lastWasValue || this.headers.length === 0) { this.headers.push(s, ''); this.lastWasValue = false; }
        else this.headers[this.headers.length - 2] += s;
      },
      value(s) { this.headers[this.headers.length - 1] += s; this.lastWasValue = true; },
      headersComplete() {
        const m = x.llhttp_get_method(ptr);
        const method = methodNames[m] ??= cString(x.llhttp_method_name(m));
        this.request = { method, target: this.url, version: `${x.llhttp_get_http_major(ptr)}.${x.llhttp_get_http_minor(ptr)}`, headers: this.headers, body: EMPTY };
      },
      complete() {
        const c = this.chunks;
        this.request.body = c.length === 0 ? EMPTY : c.length === 1 ? c[0] : Buffer.concat(c);
        onRequest(this.request);
        this.request = null;
      },
    };
    cur = state;
    return {
      execute(input) {
        if (input.length > size) { x.free(buf); size = input.length; buf = x.malloc(size); refresh(); }
        mem.set(input, buf);
        const r = x.llhttp_execute(ptr, buf, input.length);
        refresh();
        if (r !== 0) throw new Error(`llhttp (undici) error ${r}: ${cString(x.llhttp_get_error_reason(ptr))}`);
      },
    };
  };
}

// ---------------------------------------------------------------------------------------------

function outputsOf(make, input, times = 3) {
  const out = [];
  const p = make((r) => out.push({ method: r.method, target: r.target, version: r.version, headers: [...r.headers], body: Buffer.from(r.body).toString('latin1') }));
  // Several executions: the second and later ones exercise keep-alive state (and window reuse).
  for (let i = 0; i < times; i++) p.execute(input);
  return out;
}

/** Splits the input at every byte boundary once, to check the parsers agree on piecewise input too. */
function outputsSplit(make, input) {
  const out = [];
  const p = make((r) => out.push(JSON.stringify({ ...r, headers: [...r.headers], body: Buffer.from(r.body).toString('latin1'), flags: undefined })));
  for (let cut = 1; cut < input.length; cut += Math.max(1, Math.floor(input.length / 97))) {
    p.execute(input.subarray(0, cut));
    p.execute(input.subarray(cut));
  }
  return out;
}

/** Median and middle half of a's rate ÷ b's, run by run. */
function pairedRatio(entry, a, b) {
  const rb = entry.parsers[b].runsReqPerSec;
  const ratios = entry.parsers[a].runsReqPerSec.map((r, i) => r / rb[i]).sort((x, y) => x - y);
  const at = (q) => ratios[Math.round(q * (ratios.length - 1))];
  return { median: median(ratios), quartiles: [at(0.25), at(0.75)] };
}

function timeRun(parser, input, iterations) {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) parser.execute(input);
  return (performance.now() - t0) / 1000;
}

async function main() {
  const undici = findUndiciLlhttp();
  const parsers = [
    { id: 'wasgi', label: 'wasgi core (Wasm) + strings', make: (cb) => wasgiParser(cb) },
    { id: 'llhttp-native', label: 'llhttp native (node:_http_common HTTPParser)', make: nativeParser },
  ];
  if (undici.bytes) parsers.push({ id: 'llhttp-undici', label: 'llhttp Wasm (undici)', make: undiciParserFactory(undici.bytes), source: undici.source });
  const noImports = coreAt(buildNoImportsCore());
  const extra = [
    { id: 'wasgi-core-only', label: 'wasgi core only (no strings; info)', make: (cb) => wasgiParser(cb, { strings: false }), info: true },
    { id: 'wasgi-noimports', label: 'wasgi core built without the WASI shim + strings (info)', make: (cb) => wasgiParser(cb, { module: noImports }), info: true },
    { id: 'wasgi-control', label: 'wasgi core + strings, a second instance (control; info)', make: (cb) => wasgiParser(cb), info: true },
  ];

  const results = {
    kind: 'parser', date: new Date().toISOString(), command: commandLine('bench/parser.mjs'),
    config: { runs: RUNS, targetMsPerRun: RUN_MS }, machine: machineInfo(), git: gitInfo(),
    parsers: [...parsers, ...extra].map(({ id, label, source, info }) => ({ id, label, source, info: !!info })),
    skipped: undici.bytes ? {} : { 'llhttp-undici': undici.reason },
    workloads: [],
  };

  // Identical outputs first.
  for (const w of WORKLOADS) {
    const reference = JSON.stringify(outputsOf(parsers[1].make, w.input));
    const refSplit = JSON.stringify(outputsSplit(parsers[1].make, w.input));
    if (JSON.parse(reference).length !== 3 * w.requests) throw new Error(`${w.id}: native parser produced ${JSON.parse(reference).length} requests`);
    for (const p of parsers) {
      const got = JSON.stringify(outputsOf(p.make, w.input));
      if (got !== reference) throw new Error(`${w.id}: ${p.id} output differs from llhttp native:\n${got.slice(0, 600)}\nvs\n${reference.slice(0, 600)}`);
      const split = JSON.stringify(outputsSplit(p.make, w.input));
      if (split !== refSplit) throw new Error(`${w.id}: ${p.id} output on split input differs from llhttp native`);
    }
    progress(`parser: ${w.id}: outputs identical across ${parsers.map((p) => p.id).join(', ')} (${w.requests} request(s), ${w.input.length} bytes)`);
  }

  const all = [...parsers, ...extra];
  // The shim's cost: both builds of the core give the same output before they are timed.
  for (const w of WORKLOADS) {
    const [a, b] = ['wasgi', 'wasgi-noimports'].map((id) => JSON.stringify(outputsOf(all.find((p) => p.id === id).make, w.input)));
    if (a !== b) throw new Error(`${w.id}: the core built without the WASI shim gives other output`);
  }
  for (const w of WORKLOADS) {
    const instances = all.map((p) => ({ p, parser: p.make(consume), secs: [], iterations: 0 }));
    // Calibrate (also warms up): iterations that take about RUN_MS.
    for (const it of instances) {
      let n = 100;
      for (;;) {
        const s = timeRun(it.parser, w.input, n);
        if (s * 1000 >= RUN_MS / 4) { it.iterations = Math.max(1, Math.round(n * (RUN_MS / 1000) / s)); break; }
        n *= 4;
      }
    }
    for (let run = 0; run < RUNS; run++) {
      // A B C … then … C B A: a parser's place in the round (first after another's garbage, say) evens out.
      for (const it of run % 2 === 0 ? instances : [...instances].reverse()) {
        progress(`parser: ${w.id} · run ${run + 1}/${RUNS} · ${it.p.id}`);
        it.secs.push(timeRun(it.parser, w.input, it.iterations));
      }
    }
    const entry = { id: w.id, title: w.title, bytes: w.input.length, requestsPerExecute: w.requests, parsers: {} };
    for (const it of instances) {
      const rates = it.secs.map((s) => (it.iterations * w.requests) / s);
      const mbs = it.secs.map((s) => (it.iterations * w.input.length) / s / 1e6);
      entry.parsers[it.p.id] = { iterations: it.iterations, medianReqPerSec: median(rates), medianMBPerSec: median(mbs), nsPerRequest: 1e9 / median(rates), runsReqPerSec: rates };
    }
    const base = entry.parsers['llhttp-native'].medianReqPerSec;
    for (const r of Object.values(entry.parsers)) r.ratioNative = r.medianReqPerSec / base;
    // The shim's cost, paired within each round (the parsers alternate); the same core against a
    // second instance of itself shows how far such a ratio strays with no difference at all.
    entry.wasiShim = { ratio: pairedRatio(entry, 'wasgi', 'wasgi-noimports'), control: pairedRatio(entry, 'wasgi', 'wasgi-control') };
    results.workloads.push(entry);
  }
  progressDone();
  results.sink = sink;
  const get = results.workloads.find((w) => w.id === 'get').parsers.wasgi.ratioNative;
  results.targets = [{ name: 'parser GET: wasgi / llhttp native', value: get, goal: 1.5, holds: get >= 1.5 }];

  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = JSON.stringify(results, null, 2);
  const dated = path.join(RESULTS_DIR, `parser-${stamp()}.json`);
  writeFileSync(dated, json);
  writeFileSync(path.join(RESULTS_DIR, 'parser-latest.json'), json);
  process.stdout.write(parserMarkdown(results));
  process.stdout.write(`\nwrote ${path.relative(ROOT, dated)} and parser-latest.json\n`);
}

main().catch((e) => { progressDone(); console.error(e); process.exit(1); });
