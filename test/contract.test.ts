// The contract between the core and its hosts is declared once, in assembly/: the TypeScript face
// (src/contract.generated.ts) is generated from it, and must be what the core declares and exports.

import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as contract from '../src/contract.generated.js';
import { Core, coreModule } from '../src/core.js';
import { generate, OUTPUT } from '../tools/contract.mjs';
import { ROOT } from './fixtures/wasgi.js';

it('src/contract.generated.ts is what tools/contract.mjs makes of the core\'s declarations now', () => {
  expect(readFileSync(path.join(ROOT, OUTPUT), 'utf8'), 'stale: run npm run generate:contract').toBe(generate());
});

it('the events and actions are the numbers the core exports', () => {
  const instance = new WebAssembly.Instance(coreModule() as unknown as WebAssembly.Module, { wasi_snapshot_preview1: new Proxy({}, { get: () => () => 0 }) });
  const exported = Object.entries(contract).filter(([name]) => /^(EV|ACT)_/.test(name));
  expect(exported.length).toBe(15);
  for (const [name, value] of exported) expect((instance.exports[name] as WebAssembly.Global).value, name).toBe(value);
});

it('the error codes the hosts name answer with the statuses the core gives them', () => {
  const core = new Core();
  expect(core.errorStatuses[contract.E_INTERNAL]).toBe(500);
  expect(core.errorStatuses[contract.E_SERVICE_UNAVAILABLE]).toBe(503);
  expect(core.errorStatuses[contract.E_TE_UNSUPPORTED]).toBe(501);
  expect(core.errorStatuses.length).toBe(Math.max(...Object.entries(contract).filter(([n]) => n.startsWith('E_')).map(([, v]) => v)) + 1);
});
