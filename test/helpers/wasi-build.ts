// The WASI builds (the parser as a WASI command and as a component) are not part of `npm install`:
// the tests that run them build them here when they are missing or older than their sources.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The newest modification time of the files below `dir`. */
function newest(dir: string): number {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? newest(path) : statSync(path).mtimeMs;
  }));
}

/** Runs `npm run build:wasi` unless every output is newer than assembly/ (with assembly/wasi/) and wit/. */
export function ensureWasiBuilt(outputs: string[]): void {
  const sources = Math.max(newest(join(root, 'assembly')), newest(join(root, 'wit')));
  if (outputs.every((file) => existsSync(file) && statSync(file).mtimeMs >= sources)) return;
  execFileSync('npm', ['run', 'build:wasi', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
