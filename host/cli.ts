#!/usr/bin/env node
// The wasgi command: serve a PEP 3333 application exported by a module.
//   wasgi [OPTIONS] MODULE[:CALLABLE]
// Options and the config file: config.ts. Modules: modules.ts. The processes: primary.ts (the
// arbiter and its signals) forks workers that run this same script, as worker.ts.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from './cli-error.js';
import { parseArguments, resolveSettings, USAGE } from './config.js';
import { loadApplication } from './modules.js';
import { runPrimary } from './primary.js';
import { checkLogFiles } from './process-logs.js';
import { runWorker } from './worker.js';
import { isWorkerProcess } from './worker-messages.js';

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the command; resolves to the exit code once there is nothing left to do. */
async function main(argv: string[]): Promise<number> {
  const line = parseArguments(argv);
  if (line.help) return print(process.stdout, USAGE, 0);
  if (line.version) return print(process.stdout, `${readVersion()}\n`, 0);

  const settings = await resolveSettings(line);
  if (line.checkConfig) {
    checkLogFiles(settings);
    await loadApplication(settings.app as string);
    return print(process.stdout, 'configuration OK\n', 0);
  }
  return runPrimary(settings, (reload) => resolveSettings(line, reload), fileURLToPath(import.meta.url));
}

/**
 * Writes `text` and resolves to `code` once it is flushed (pipes may be asynchronous), or once
 * writing failed (a reader that went away): the exit code stays the same.
 */
function print(stream: NodeJS.WriteStream, text: string, code: number): Promise<number> {
  return new Promise((resolve) => {
    stream.once('error', () => resolve(code));
    stream.write(text, () => resolve(code));
  });
}

if (isWorkerProcess()) {
  // A worker the primary forked: it exits when the primary stops it.
  runWorker();
} else {
  main(process.argv.slice(2))
    .catch((error: unknown) => error instanceof CliError
      ? print(process.stderr, `wasgi: ${error.message}\n`, error.exitCode)
      : print(process.stderr, `wasgi: ${error instanceof Error ? error.stack : String(error)}\n`, 1))
    // Exit explicitly: the application module may hold timers or handles of its own.
    .then((code) => process.exit(code));
}
