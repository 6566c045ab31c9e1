// The command's modules: the application (MODULE[:CALLABLE]) and the config file, imported as ES
// modules, or as TypeScript through tsx when it is installed (ES module and CommonJS projects).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Application } from '../src/types.js';
import { CliError } from './cli-error.js';

/** The callable taken from a module when none is named. */
export const DEFAULT_CALLABLE = 'application';

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

/** An error as one line. */
export function reason(error: unknown): string {
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

export async function importFile(file: string, reload = 0): Promise<Record<string, unknown>> {
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
