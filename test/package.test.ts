// What `npm pack` puts in the package: everything the README and docs tell a user to run.

import { expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './fixtures/wasgi.js';
import { ensureWasiBuilt } from './helpers/wasi-build.js';

it('npm pack holds the command, the API, the core, the WASI builds and their runner, the examples and the docs', async () => {
  const wasi = ['build/wasgi-parse.wasm', 'build/wasgi-parse.component.wasm', 'build/wasgi-parser.wasm', 'build/wasgi-parser-js/wasgi-parser.js'];
  ensureWasiBuilt(wasi.map((file) => path.join(ROOT, file)));
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
  const files = new Set((JSON.parse(stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path));
  for (const file of [
    'package.json', 'README.md', 'dist/host/cli.js', 'dist/index.js', 'dist/index.d.ts', 'dist/host/simple_server.js',
    'dist/src/validate.d.ts', 'build/wasgi.wasm', ...wasi, 'host/wasi/run-parse.mjs', 'wit/wasgi.wit',
    'examples/hello.mjs', 'examples/simple_server.ts', 'docs/DEPLOYMENT.md', 'docs/WASI.md',
  ]) expect(files, file).toContain(file);
  for (const file of files) expect(file).not.toMatch(/^(test|bench|fuzz|assembly|node_modules)\//);
}, 180_000);
