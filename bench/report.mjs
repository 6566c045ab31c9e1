#!/usr/bin/env node
// Prints the Markdown tables of the latest results (bench/results/*-latest.json) without running
// anything: node bench/report.mjs [e2e|parser|memory ...]
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { RESULTS_DIR } from './lib/common.mjs';
import { e2eMarkdown, parserMarkdown, memoryMarkdown } from './lib/markdown.mjs';

const render = { e2e: e2eMarkdown, parser: parserMarkdown, memory: memoryMarkdown };
const kinds = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(render);
for (const kind of kinds) {
  const file = path.join(RESULTS_DIR, `${kind}-latest.json`);
  if (!render[kind]) throw new Error(`unknown kind ${kind} (e2e, parser, memory)`);
  if (!existsSync(file)) { process.stdout.write(`\n(no ${kind} results yet: ${file})\n`); continue; }
  const results = JSON.parse(readFileSync(file, 'utf8'));
  process.stdout.write(render[kind](results));
  process.stdout.write(`\n(${path.basename(file)}: ${results.date}, git ${results.git?.commit?.slice(0, 7) ?? '?'}${results.git?.dirty ? ' + uncommitted changes' : ''})\n`);
}
