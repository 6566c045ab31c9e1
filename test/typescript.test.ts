// TypeScript applications and config files under the command, with tsx installed, in both kinds
// of npm project: "type": "commonjs" (what `npm init -y` writes) and "type": "module".

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killChildren, ROOT, run, start } from './fixtures/wasgi.js';

const APP_TS = `import type { Application } from 'wasgi';

const greeting: string = 'hello from TypeScript';

export const application: Application = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [greeting];
};
`;

const CONFIG_TS = `const workers: number = 1;

export default { app: 'app.ts', workers, bind: '127.0.0.1:0' };
`;

let top: string;

/** A project directory of the given type with tsx installed and app.ts and wasgi.config.ts in it. */
function project(type: 'commonjs' | 'module'): string {
  const dir = path.join(top, type);
  mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `app-${type}`, version: '1.0.0', type }));
  symlinkSync(path.join(ROOT, 'node_modules', 'tsx'), path.join(dir, 'node_modules', 'tsx'));
  writeFileSync(path.join(dir, 'app.ts'), APP_TS);
  writeFileSync(path.join(dir, 'wasgi.config.ts'), CONFIG_TS);
  return dir;
}

beforeAll(() => {
  top = mkdtempSync(path.join(os.tmpdir(), 'wasgi-ts-'));
});
afterAll(() => {
  killChildren();
  rmSync(top, { recursive: true, force: true });
});

describe.each(['commonjs', 'module'] as const)('a "type": "%s" project', (type) => {
  let dir: string;
  beforeAll(() => {
    dir = project(type);
  });

  it('serves app.ts', async () => {
    const server = await start(['app.ts', '-b', '127.0.0.1:0'], { cwd: dir });
    const response = await fetch(`${server.url}/`);
    expect(await response.text()).toBe('hello from TypeScript');
    expect((await server.stop()).code).toBe(0);
  });

  it('reads -c wasgi.config.ts', async () => {
    const check = await run(['--check-config', '-c', 'wasgi.config.ts'], { cwd: dir });
    expect(check.stderr).toBe('');
    expect(check.stdout).toContain('configuration OK');
    const server = await start(['-c', 'wasgi.config.ts'], { cwd: dir });
    expect(await (await fetch(`${server.url}/`)).text()).toBe('hello from TypeScript');
    expect((await server.stop()).code).toBe(0);
  });
});
