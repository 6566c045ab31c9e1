#!/usr/bin/env node
// wasgi's request-parser fuzzer: seeded mutation fuzzing of the WebAssembly core, differential
// against Node's llhttp. See docs/FUZZING.md.
//
//   node fuzz/run.mjs [--seed N] [--iterations N] [--start N] [--time SECONDS] [--findings DIR] [--quiet]
//   node fuzz/run.mjs --repro SEED:ITERATION      one input: bytes, both parses, verdict
//   node fuzz/run.mjs --input "'GET / HTTP/1.1\r\n...'"   the same for a JS string literal
//
// Environment: FUZZ_SEED, FUZZ_ITERATIONS, FUZZ_TIME (seconds), FUZZ_FINDINGS. Needs a build
// (npm run build); `npm run fuzz` builds first. Exits 1 when a trap, bounds, leak or path problem
// or an unexplained disagreement was found.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setup, fuzz, runInput, summary, literal } from './engine.mjs';
import { makeInput } from './mutate.mjs';
import { ruleById } from './classify.mjs';

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [k, v] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), argv[i + 1]?.startsWith('--') || ['quiet', 'help'].includes(a.slice(2)) ? true : argv[++i]];
    out[k] = v;
  }
  return out;
}

const a = args(process.argv.slice(2));
if (a.help) {
  console.log(readUsage());
  process.exit(0);
}
const num = (v, d) => (v === undefined || v === true ? d : Number(String(v).replace(/_/g, '')));
const seed = num(a.seed ?? process.env.FUZZ_SEED, 1);
const iterations = num(a.iterations ?? process.env.FUZZ_ITERATIONS, 1_000_000);
const start = num(a.start, 0);
const time = num(a.time ?? process.env.FUZZ_TIME, 0);
const findingsDir = a.findings ?? process.env.FUZZ_FINDINGS ?? fileURLToPath(new URL('./findings/', import.meta.url));

const env = await setup();

if (a.repro || a.input) {
  let input;
  let cuts = [];
  if (a.repro) {
    const [s, i] = String(a.repro).split(':').map(Number);
    ({ input, cuts } = makeInput(s, i, env.seeds));
  } else {
    input = Function(`"use strict"; return (${a.input});`)();
  }
  const r = runInput(env, input, cuts);
  console.log(`input (${input.length} bytes): ${literal(input)}`);
  console.log(`reads split at: ${JSON.stringify(cuts)}`);
  console.log(`wasgi: ${JSON.stringify(r.w, null, 1)}`);
  console.log(`wasgi heads accepted: ${JSON.stringify(r.heads)}`);
  console.log(`llhttp: ${JSON.stringify(r.l && { messages: r.l.messages, partial: r.l.partial, error: r.l.error, upgraded: r.l.upgraded }, null, 1)}`);
  console.log(`outcome: ${r.outcome}${r.d && r.d.index !== undefined ? ` at message ${r.d.index}` : ''}`);
  if (r.diff) {
    const rule = r.diff.rule && ruleById(r.diff.rule);
    console.log(`disagreement: ${r.diff.signature}\nverdict: ${r.diff.verdict}${rule ? ` — ${rule.id}: ${rule.title}\n  ${rule.rfc}` : ''}`);
    if (r.diff.failed?.length) console.log(`rule checks that threw: ${r.diff.failed.join('; ')}`);
  }
  for (const p of r.problems) console.log(`PROBLEM ${p.type}: ${p.message}`);
  process.exit(r.problems.length || r.diff?.verdict === 'unexplained' ? 1 : 0);
}

const deadline = time > 0 ? Date.now() + time * 1000 : undefined;
console.log(`wasgi fuzz: seed ${seed}, iterations ${start}..${start + iterations - 1}${time ? `, at most ${time} s` : ''}; llhttp ${env.llhttpVersion}; ${env.seeds.length} seeds; findings in ${findingsDir}`);
const stats = fuzz(env, {
  seed,
  iterations,
  start,
  deadline,
  findingsDir,
  onProgress: (s) => {
    if (a.quiet) return;
    const differ = s.outcomes.differ ?? 0;
    const unexplained = [...s.classes.values()].filter((c) => c.verdict === 'unexplained').reduce((n, c) => n + c.count, 0);
    const bugs = [...s.classes.values()].filter((c) => c.verdict === 'bug').reduce((n, c) => n + c.count, 0);
    console.log(`${String(s.iterations).padStart(10)} inputs  ${Math.round(s.iterations / (s.ms / 1000))}/s  agree ${s.outcomes.agree ?? 0}  differ ${differ} (unexplained ${unexplained}, known bugs ${bugs})  problems ${s.problemCount}  classes ${s.classes.size}`);
  },
});
const sum = summary(stats);
writeFileSync(`${findingsDir.replace(/\/$/, '')}/summary-seed${seed}-from${start}.json`, JSON.stringify(sum, null, 1) + '\n');

console.log(`\n${sum.iterations} inputs in ${sum.seconds} s (${sum.perSecond}/s)${sum.stoppedEarly ? ' — stopped at the time limit' : ''}; ${sum.megabytes} MB, largest ${sum.largestInput} bytes, ${sum.inputsOverWindow} over the window`);
console.log(`inputs: ${JSON.stringify(sum.inputs)}`);
console.log(`outcomes: ${JSON.stringify(sum.outcomes)}`);
console.log(`requests accepted by wasgi: ${sum.requestsAccepted}; inputs it rejected: ${sum.inputsRejected}; liveness checks: ${sum.liveChecks}`);
console.log(`problems (trap, bounds, leak, path, harness): ${sum.problems}; unexplained disagreements: ${sum.unexplained}\n`);
for (const c of sum.classes) console.log(`${String(c.count).padStart(9)}  ${c.verdict.padEnd(11)} ${c.key.slice(c.verdict.length + 1)}   [e.g. --repro ${c.example}]`);
process.exit(sum.problems || sum.unexplained ? 1 : 0);

function readUsage() {
  return `usage: node fuzz/run.mjs [--seed N] [--iterations N] [--start N] [--time SECONDS] [--findings DIR] [--quiet]
       node fuzz/run.mjs --repro SEED:ITERATION
       node fuzz/run.mjs --input "'<JS string literal>'"
env: FUZZ_SEED, FUZZ_ITERATIONS, FUZZ_TIME, FUZZ_FINDINGS`;
}
