// Loads the project's TypeScript test helpers into plain Node without a copy: test/helpers/parse.ts
// (the sans-IO driver the unit tests use) and test/parser.cases.ts (the seed corpus) are
// transpiled with the project's own `typescript` and imported from a data: URL. The driver's one
// import, src/core.js, is pointed at fuzz/core-shim.mjs, which wraps the built core
// (dist/src/core.js) with bounds checks; every other relative import must resolve into dist/.

import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

async function importTs(relPath, mapSpecifier) {
  const ts = require('typescript');
  const file = root + relPath;
  const out = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, sourceMap: false },
  }).outputText;
  const code = out.replace(/(\bfrom\s*|\bimport\s*\(\s*)(['"])([^'"]+)\2/g, (_m, head, q, spec) => {
    if (!spec.startsWith('.')) return `${head}${q}${spec}${q}`;
    const mapped = mapSpecifier(new URL(spec, pathToFileURL(file)));
    if (!mapped) throw new Error(`fuzz/load: ${relPath} imports ${spec}, which the fuzzer does not know how to load`);
    return `${head}${q}${mapped}${q}`;
  });
  return import('data:text/javascript;base64,' + Buffer.from(code).toString('base64'));
}

/** The unit tests' driver, bound to the bounds-checking core shim. */
export async function loadDriver() {
  if (!existsSync(root + 'dist/src/core.js') || !existsSync(root + 'build/wasgi.wasm')) {
    throw new Error('fuzz: dist/src/core.js or build/wasgi.wasm missing; run "npm run build" first');
  }
  const shim = new URL('./core-shim.mjs', import.meta.url).href;
  const srcDir = pathToFileURL(root + 'src/').href;
  const mod = await importTs('test/helpers/parse.ts', (url) => {
    if (url.href === srcDir + 'core.js') return shim;
    if (url.href.startsWith(srcDir)) return pathToFileURL(root + 'dist/src/' + url.href.slice(srcDir.length)).href;
    return null;
  });
  const core = await import(shim);
  return { parseRequests: mod.parseRequests, core };
}

/** The conformance tables (pure data) as seeds. */
export async function loadCases() {
  const mod = await importTs('test/parser.cases.ts', () => null);
  return { validCases: mod.validCases, invalidCases: mod.invalidCases };
}

/** Error code names (E_HOST_MISSING, ...) by number, read from assembly/errors.ts. */
export function errorNames() {
  const names = [];
  for (const m of readFileSync(root + 'assembly/errors.ts', 'utf8').matchAll(/export const ([A-Z][A-Z0-9_]*) = (\d+);/g)) names[+m[2]] = m[1];
  return names;
}
