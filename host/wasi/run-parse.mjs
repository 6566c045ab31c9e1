#!/usr/bin/env node
// Runs build/wasgi-parse.wasm (a WASI preview1 command) under Node's node:wasi:
//
//   node host/wasi/run-parse.mjs [path/to/wasgi-parse.wasm] < requests.bin > requests.jsonl
//
// stdin, stdout and stderr are this process's own; the exit status is the command's.

import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { fileURLToPath } from 'node:url';

// node:wasi warns that it is experimental on every run; that warning alone is dropped.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && warning.message.includes('WASI')) return;
  process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const path = process.argv[2] ?? fileURLToPath(new URL('../../build/wasgi-parse.wasm', import.meta.url));
// node:wasi wants at least one argument and one variable when given any (empty ones fail).
const wasi = new WASI({ version: 'preview1', args: ['wasgi-parse'], env: { WASGI: '1' }, stdin: 0, stdout: 1, stderr: 2, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(path));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
