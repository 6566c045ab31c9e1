// The layers import one way (docs/ARCHITECTURE.md): each source file may import only from its own
// layer or one below. A new file must be given a layer here.

import { expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './fixtures/wasgi.js';

/** From the bottom up; a file's layer is the first whose pattern matches its path. */
const LAYERS: [name: string, files: RegExp][] = [
  ['core face', /^src\/(core|contract\.generated|actions|record|memory-connection|wasm|wasi-imports|types)\.ts$/],
  ['Node binding', /^src\/binding\/[^/]+\.ts$/],
  ['API', /^src\/[^/]+\.ts$/],
  ['HTTP server', /^host\/(node|settings|accesslog|forwarded|logfile|waiting|simple_server)\.ts$/],
  ['command', /^host\/(cli|cli-error|config|modules|primary|worker|worker-messages|binds|descriptors|process-logs)\.ts$/],
  ['package entry', /^index\.ts$/],
];

function layerOf(file: string): number {
  return LAYERS.findIndex(([, files]) => files.test(file));
}

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const file = path.posix.join(dir, name);
    if (statSync(path.join(ROOT, file)).isDirectory()) return sources(file);
    return file.endsWith('.ts') && !file.endsWith('.d.ts') ? [file] : [];
  });
}

/** The project files a source imports (static imports, re-exports and import() of literals). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'|import\('([^']+)'\)/g)].map((m) => m[1] ?? m[2]);
  return specifiers.filter((s) => s.startsWith('.'))
    .map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)).replace(/\.js$/, '.ts'));
}

it('every source file has a layer, and imports only from its own layer or below', () => {
  const files = ['index.ts', ...sources('src'), ...sources('host')];
  const unplaced = files.filter((file) => layerOf(file) < 0);
  expect(unplaced, 'files without a layer').toEqual([]);
  const upward: string[] = [];
  for (const file of files) {
    for (const target of importsOf(file)) {
      const from = layerOf(file);
      const to = layerOf(target);
      if (to > from) upward.push(`${file} (${LAYERS[from][0]}) imports ${target} (${LAYERS[to]?.[0] ?? 'outside the layers'})`);
    }
  }
  expect(upward).toEqual([]);
});

it('the check sees imports: the HTTP server imports the binding and the API', () => {
  expect(importsOf('host/node.ts')).toEqual(expect.arrayContaining(['src/binding/loop.ts', 'src/response.ts', 'host/settings.ts']));
});
