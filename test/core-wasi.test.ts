// The server's core build/wasgi.wasm as a WASI module: it imports nothing but
// wasi_snapshot_preview1, and only what the Node host supplies (src/wasi-imports.ts); an abort in
// code built the same way is a CoreExit in JavaScript, not the end of the process; and Node's own
// WASI runs the very same binary as a reactor and parses a request through its exports.

import { describe, expect, it } from 'vitest';
import { WASI } from 'node:wasi';
import asc from 'assemblyscript/asc';
import { Core, coreModule, REC_FIELD_COUNT, REC_METHOD, REC_TARGET } from '../src/core.js';
import { CoreExit, wasiImports } from '../src/wasi-imports.js';

const WASI_MODULE = 'wasi_snapshot_preview1';

const supplied = Object.keys(wasiImports(() => { throw new Error('not called'); })[WASI_MODULE]);

describe('build/wasgi.wasm', () => {
  const module = coreModule();

  it('imports only wasi_snapshot_preview1 functions, all of which the host supplies', () => {
    for (const i of WebAssembly.Module.imports(module)) {
      expect(i.module).toBe(WASI_MODULE);
      expect(i.kind).toBe('function');
      expect(supplied).toContain(i.name);
    }
  });

  it('is a reactor: exports memory and _initialize, no _start', () => {
    const exports = WebAssembly.Module.exports(module).map((e) => e.name);
    expect(exports).toContain('memory');
    expect(exports).toContain('_initialize');
    expect(exports).not.toContain('_start');
  });

  it('is the core the host runs', () => {
    const core = new Core({ maxConnections: 1 });
    expect(core.errorReasons.length).toBeGreaterThan(40);
  });

  it('runs under node:wasi and parses a request through its exports', () => {
    const wasi = new WASI({ version: 'preview1' });
    const instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
    wasi.initialize(instance);
    const x = instance.exports as Record<string, unknown>;
    const call = (name: string, ...args: number[]): number => (x[name] as (...a: number[]) => number)(...args);
    const global = (name: string): number => (x[name] as WebAssembly.Global).value as number;
    const memory = x.memory as WebAssembly.Memory;

    expect(call('init', 1, 8192, 100, 8192, 65536, 1 << 24)).toBe(1);
    const conn = call('openConnection', 0);
    const request = Buffer.from('GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n', 'latin1');
    const bytes = new Uint8Array(memory.buffer);
    bytes.set(request, call('windowAddress', conn));
    const words = new Uint32Array(memory.buffer);
    words.set([global('EV_READ'), conn, request.length], call('eventsAddress') >>> 2);
    const actions = call('run', 1, 0);

    const first = call('actionsAddress') >>> 2;
    expect(actions).toBeGreaterThanOrEqual(1);
    expect(words.slice(first, first + 2)).toEqual(new Uint32Array([global('ACT_CALL_APP'), conn]));
    const rec = call('recordAddress', conn) >>> 2;
    const text = (word: number): string => Buffer.from(memory.buffer).latin1Slice(words[rec + word], words[rec + word] + words[rec + word + 1]);
    expect(text(REC_METHOD)).toBe('GET');
    expect(text(REC_TARGET)).toBe('/hello?x=1');
    expect(words[rec + REC_FIELD_COUNT]).toBe(2);
  });
});

describe('the host\'s WASI imports', () => {
  /** test/fixtures/wasi-abort.ts, built with the core's compiler options (as asconfig.json's release target). */
  async function buildFixture(): Promise<WebAssembly.Module> {
    let binary: Uint8Array | undefined;
    const { error, stderr } = await asc.main([
      'test/fixtures/wasi-abort.ts', '--config', './node_modules/@assemblyscript/wasi-shim/asconfig.json',
      '--runtime', 'stub', '-O3', '--noAssert', '--exportStart', '_initialize', '--outFile', 'wasi-abort.wasm',
    ], {
      writeFile: (name, contents) => { if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents; },
    });
    if (error || !binary) throw new Error(`asc: ${error?.message ?? 'no binary'}\n${stderr.toString()}`);
    return new WebAssembly.Module(binary);
  }

  it('turn an abort into a CoreExit carrying its message, and pass trace to stderr', async () => {
    const module = await buildFixture();
    const imports = WebAssembly.Module.imports(module);
    expect(imports.map((i) => i.module)).toEqual(imports.map(() => WASI_MODULE));
    expect(imports.map((i) => i.name)).toEqual(expect.arrayContaining(['fd_write', 'proc_exit']));

    const written: string[] = [];
    const write = (fd: number, bytes: Uint8Array): void => { written.push(`${fd}:${Buffer.from(bytes).toString()}`); };
    const stderr = (): string => written.map((w) => w.slice(2)).join('');
    const instance: WebAssembly.Instance = new WebAssembly.Instance(module, wasiImports(() => instance.exports.memory as WebAssembly.Memory, write));
    const x = instance.exports as { _initialize(): void; fail(): void; note(v: number): number };
    x._initialize();

    expect(x.note(41)).toBe(42);
    expect(written.every((w) => w.startsWith('2:'))).toBe(true);
    expect(stderr()).toBe('trace: note 41.0\n');

    let thrown: unknown;
    try { x.fail(); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(CoreExit);
    const exit = thrown as CoreExit;
    expect(exit.status).toBe(255);
    expect(exit.message).toMatch(/^wasgi core: abort: the core is in a state it cannot leave in .*\(\d+:\d+\)$/);
    expect(stderr()).toBe(`trace: note 41.0\n${exit.message.slice('wasgi core: '.length)}\n`);
  });

  it('write nothing for other descriptors', () => {
    const memory = { buffer: new ArrayBuffer(64) } as WebAssembly.Memory;
    const fdWrite = wasiImports(() => memory, () => { throw new Error('written'); })[WASI_MODULE].fd_write as (...a: number[]) => number;
    expect(fdWrite(3, 0, 0, 16)).toBe(8); // EBADF
  });
});
