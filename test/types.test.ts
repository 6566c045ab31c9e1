// The public types, as a user's project sees them: the README's examples and a Flask-style JSON
// API (test/types/) type-check under strict, without casts, with nodenext and node10 resolution
// of the installed package.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './fixtures/wasgi.js';

const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

let project: string;

beforeAll(() => {
  project = mkdtempSync(path.join(os.tmpdir(), 'wasgi-types-'));
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(ROOT, path.join(project, 'node_modules', 'wasgi'));
  cpSync(path.join(ROOT, 'test', 'types'), path.join(project, 'src'), { recursive: true });
});
afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

const SETTINGS = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext', type: 'module' },
  node10: { module: 'commonjs', moduleResolution: 'node10', type: 'commonjs' },
} as const;

describe.each(Object.keys(SETTINGS) as (keyof typeof SETTINGS)[])('moduleResolution %s', (name) => {
  it('the README examples and a JSON API with routing type-check under strict', async () => {
    const { module, moduleResolution, type } = SETTINGS[name];
    const dir = path.join(project, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-app', type }));
    const config = path.join(project, `tsconfig.${name}.json`);
    writeFileSync(config, JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022'], module, moduleResolution,
        types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')], skipLibCheck: false,
      },
      include: ['src/*.ts'],
    }));
    const result = await promisify(execFile)(process.execPath, [TSC, '-p', config], { cwd: project }).catch((error: { stdout: string; code: number }) => error);
    expect(result.stdout).toBe('');
  }, 60_000);
});
