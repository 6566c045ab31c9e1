// The fastest servers a Node user can run beside wasgi, installed by the bench into its own folder
// (bench/.peers), never as the package's dependencies: Bun.serve from the `bun` package (which
// ships its binary) and uWebSockets.js from the `uwebsockets` package (which ships the uWS
// binaries; `uwebsockets.js` points at a GitHub tarball). Install scripts are not run; what does
// not install or does not start is reported as skipped.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BENCH_DIR } from './common.mjs';

const PEERS_DIR = path.join(BENCH_DIR, '.peers');
const BUN = path.join(PEERS_DIR, 'node_modules', '@oven', `bun-linux-${process.arch === 'arm64' ? 'aarch64' : 'x64'}`, 'bin', 'bun');
const UWS = path.join(PEERS_DIR, 'node_modules', 'uwebsockets');

let installed = null;

/** Installs the peers once (nothing to do when they are there); the reason when npm failed. */
function install() {
  if (installed !== null) return installed;
  if (existsSync(BUN) && existsSync(UWS)) return (installed = { ok: true });
  const r = spawnSync('npm', ['install', '--prefix', PEERS_DIR, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', 'bun', 'uwebsockets'],
    { encoding: 'utf8', timeout: 300_000 });
  installed = r.status === 0 ? { ok: true } : { ok: false, reason: `npm install bun uwebsockets failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').pop()}` };
  return installed;
}

/** Bun's binary, when it installs and runs here. */
export function bunAvailable() {
  const i = install();
  if (!i.ok) return i;
  const r = spawnSync(BUN, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true, bin: BUN } : { ok: false, reason: `bun does not run here: ${(r.stderr || String(r.error)).trim()}` };
}

/** uWebSockets.js, when it installs and loads in this Node. */
export function uwsAvailable() {
  const i = install();
  if (!i.ok) return i;
  try {
    createRequire(import.meta.url)(UWS);
    return { ok: true, module: UWS };
  } catch (error) {
    return { ok: false, reason: `uwebsockets does not load in this Node: ${String(error.message ?? error).split('\n')[0]}` };
  }
}
