// The fuzzing loop, shared by fuzz/run.mjs and test/differential.test.ts. Per input:
//   (a) the core does not trap or abort (a WebAssembly RuntimeError or a CoreExit out of the driver);
//   (b) every span it hands out lies in a connection window (core-shim.mjs; a BoundsError);
//   (c) the connection slot comes back: openConnections is 0 after every input, and a clean
//       request still parses every `liveEvery` inputs;
//   (d) llhttp parses the same bytes the same way, or the difference is a classified one;
//   (e) PATH_INFO / QUERY_STRING of every accepted request follow from its target (rfc.mjs);
//   (f) the read pattern does not matter: the same bytes in one read give the same requests and
//       the same verdict (the error may differ only when one of the two is a limit error).
// Every 64th input is also run through a core with tiny random limits (checks a to c only).

import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadDriver, loadCases, errorNames } from './load.mjs';
import { llhttpParse, LLHTTP_VERSION } from './llhttp.mjs';
import { compare } from './compare.mjs';
import { classify } from './classify.mjs';
import { makeInput } from './mutate.mjs';
import { expectedPathQuery } from './rfc.mjs';

/** Loads the driver, the seeds and the error names once. */
export async function setup() {
  const { parseRequests, core } = await loadDriver();
  const { validCases, invalidCases } = await loadCases();
  const seeds = [...validCases, ...invalidCases].map((c) => c.input);
  parseRequests(''); // creates the driver's shared core, the one Core of the whole run
  const shared = core.instances[core.instances.length - 1];
  return { parseRequests, shared, coreModule: core, seeds, errorNames: errorNames(), llhttpVersion: LLHTTP_VERSION };
}

/** A JavaScript string literal for a latin-1 input (for reports). */
export function literal(s) {
  return "'" + s.replace(/[\\'\x00-\x1f\x7f-\xff]/g, (c) => {
    const n = c.charCodeAt(0);
    if (c === '\\') return '\\\\';
    if (c === "'") return "\\'";
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return '\\x' + n.toString(16).padStart(2, '0');
  }) + "'";
}

function problemOf(e) {
  if (e instanceof WebAssembly.RuntimeError || (e && e.name === 'CoreExit')) return { type: 'trap', message: e.message };
  if (e && e.name === 'BoundsError') return { type: 'bounds', message: e.message };
  return { type: 'harness', message: e && e.message ? e.message : String(e) };
}

/**
 * Runs one input through the core and llhttp. Returns { w, heads, l, outcome, diff?, problems[] }
 * where diff = { signature, verdict, rule } for a 'differ' outcome.
 */
export function runInput(env, input, cuts = []) {
  const { parseRequests, shared } = env;
  const problems = [];
  shared.heads = [];
  let w;
  try {
    w = parseRequests(input, cuts);
  } catch (e) {
    problems.push(problemOf(e));
  }
  if (shared.openConnections !== 0) {
    problems.push({ type: 'leak', message: `openConnections is ${shared.openConnections} after the input` });
  }
  if (!w) return { problems, outcome: 'problem' };
  const heads = shared.heads;
  if (cuts.length > 0) {
    let whole;
    shared.heads = [];
    try {
      whole = parseRequests(input, []);
    } catch (e) {
      problems.push(problemOf(e));
    }
    if (whole) {
      const why = sameParse(w, whole);
      if (why) problems.push({ type: 'reads', message: `split at ${JSON.stringify(cuts.length > 20 ? cuts.slice(0, 20) : cuts)}: ${why}` });
    }
  }
  for (const r of w.requests) {
    const want = expectedPathQuery(r.method, r.target);
    if (r.path !== want.path || r.query !== want.query) {
      problems.push({ type: 'path', message: `target ${literal(r.target)}: PATH_INFO ${literal(r.path)} QUERY_STRING ${literal(r.query)}, expected ${literal(want.path)} ${literal(want.query)}` });
    }
  }
  const l = llhttpParse(Buffer.from(input, 'latin1'));
  const d = compare(w, heads, l);
  const result = { w, heads, l, d, outcome: d.outcome === 'skip' ? `skip:${d.reason}` : d.outcome, problems };
  if (d.outcome === 'differ') result.diff = classify(d, input, env.errorNames);
  return result;
}

const LIMIT_ERRORS = new Set([414, 431, 413]);

/** Why two parses of the same bytes differ, or '' when they do not. */
function sameParse(a, b) {
  if (a.requests.length !== b.requests.length) return `${a.requests.length} requests vs ${b.requests.length} in one read`;
  for (let i = 0; i < a.requests.length; i++) {
    if (JSON.stringify(a.requests[i]) !== JSON.stringify(b.requests[i])) return `request ${i} differs from the one-read parse`;
  }
  if (!!a.error !== !!b.error) return `${a.error ? `error ${a.error.code}` : 'no error'} vs ${b.error ? `error ${b.error.code}` : 'no error'} in one read`;
  // The status must not depend on the reads, unless a limit is involved: a line already too long
  // is refused before the rest of it (say, a bare LF further on) arrives. (The reason may differ.)
  if (a.error && a.error.status !== b.error.status && !LIMIT_ERRORS.has(a.error.status) && !LIMIT_ERRORS.has(b.error.status)) {
    return `error ${a.error.code} (${a.error.reason}) vs ${b.error.code} (${b.error.reason}) in one read`;
  }
  if (a.closed !== b.closed) return `closed ${a.closed} vs ${b.closed} in one read`;
  return '';
}

const SMALL = (r) => ({
  limitRequestLine: 16 + Math.floor(r() * 64),
  limitRequestFields: 1 + Math.floor(r() * 4),
  limitRequestFieldSize: 16 + Math.floor(r() * 64),
  limitRequestHead: 64 + Math.floor(r() * 256),
  maxBodySize: Math.floor(r() * 64),
});

function smallLimitsRun(env, input, cuts, seed, i) {
  let x = (seed * 7919 + i) >>> 0;
  const r = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296);
  const limits = SMALL(r);
  try {
    env.parseRequests(input, cuts, limits);
  } catch (e) {
    return { ...problemOf(e), limits };
  }
  const core = env.coreModule.instances[env.coreModule.instances.length - 1];
  if (core !== env.shared && core.openConnections !== 0) return { type: 'leak', message: 'small-limits core kept its slot', limits };
  return null;
}

/**
 * Runs iterations [start, start + iterations) of `seed`. Options: progressEvery, onProgress(stats),
 * liveEvery, findingsDir (first examples of every class are written there), deadline (ms epoch;
 * the run stops early when passed). Returns the stats.
 */
export function fuzz(env, { seed = 1, iterations = 1_000_000, start = 0, progressEvery = 100_000, onProgress, liveEvery = 10_000, findingsDir, deadline, examplesPerClass = 3 } = {}) {
  const stats = {
    seed, start, iterations: 0, planned: iterations, ms: 0, stoppedEarly: false,
    kinds: {}, outcomes: {}, requests: 0, rejected: 0, bytes: 0, largest: 0, over16k: 0, overWindow: 0,
    classes: new Map(), problems: [], problemCount: 0, liveChecks: 0, undecided: {},
  };
  if (findingsDir && !existsSync(findingsDir)) mkdirSync(findingsDir, { recursive: true });
  const t0 = performance.now();
  const windowSize = env.shared.windowSize;
  const problem = (ex) => {
    stats.problemCount++;
    if (stats.problems.length < 100) stats.problems.push(ex);
  };
  const note = (key, verdict, rule, example) => {
    let c = stats.classes.get(key);
    if (!c) stats.classes.set(key, (c = { key, verdict, rule, count: 0, examples: [] }));
    c.count++;
    if (c.examples.length < examplesPerClass) {
      c.examples.push(example);
      if (findingsDir) writeFinding(findingsDir, c, example);
    }
  };
  for (let n = 0; n < iterations; n++) {
    const i = start + n;
    const { input, cuts, kind } = makeInput(seed, i, env.seeds);
    stats.kinds[kind] = (stats.kinds[kind] ?? 0) + 1;
    stats.bytes += input.length;
    if (input.length > stats.largest) stats.largest = input.length;
    if (input.length > 16384) stats.over16k++;
    if (input.length > windowSize) stats.overWindow++;
    const r = runInput(env, input, cuts);
    stats.outcomes[r.outcome] = (stats.outcomes[r.outcome] ?? 0) + 1;
    if (r.w) {
      stats.requests += r.w.requests.length;
      if (r.w.error) stats.rejected++;
    }
    const example = () => ({ seed, iteration: i, kind, input, cuts });
    for (const p of r.problems) {
      const ex = { ...example(), message: p.message };
      problem(ex);
      note(`problem/${p.type}/${p.message.replace(/[0-9]+/g, 'N').slice(0, 80)}`, 'problem', p.type, ex);
    }
    if (r.outcome === 'undecided') {
      const k = `${r.d.stage}: ${r.w.error ? `wasgi ${env.errorNames[r.w.error.code]}, llhttp waits` : `llhttp ${r.l.error.code}, wasgi waits`}`;
      stats.undecided[k] = (stats.undecided[k] ?? 0) + 1;
    }
    if (r.diff) {
      const ex = { ...example(), signature: r.diff.signature, wasgi: r.w, llhttp: summarizeL(r.l), index: r.d.index };
      note(`${r.diff.verdict}/${r.diff.rule ?? '-'}/${r.diff.signature}`, r.diff.verdict, r.diff.rule, ex);
    }
    if ((i & 63) === 0) {
      const p = smallLimitsRun(env, input, cuts, seed, i);
      if (p) {
        const ex = { ...example(), message: p.message, limits: p.limits };
        problem(ex);
        note(`problem/${p.type}/small-limits/${p.message.replace(/[0-9]+/g, 'N').slice(0, 80)}`, 'problem', p.type, ex);
      }
    }
    stats.iterations++;
    if (liveEvery && stats.iterations % liveEvery === 0) {
      stats.liveChecks++;
      const live = runInput(env, 'GET /live?x=1 HTTP/1.1\r\nHost: a\r\n\r\n');
      if (live.problems.length || !live.w || live.w.requests.length !== 1 || live.w.error || env.shared.openConnections !== 0) {
        const ex = { ...example(), message: 'a clean request no longer parses after this iteration' };
        problem(ex);
        note('problem/liveness', 'problem', 'liveness', ex);
      }
    }
    if (progressEvery && stats.iterations % progressEvery === 0) {
      stats.ms = performance.now() - t0;
      onProgress?.(stats);
    }
    if (deadline && (n & 255) === 0 && Date.now() > deadline) {
      stats.stoppedEarly = true;
      break;
    }
  }
  stats.ms = performance.now() - t0;
  return stats;
}

function summarizeL(l) {
  return {
    messages: l.messages.map((m) => ({ method: m.method, target: m.target, version: m.version, headers: m.headers, body: m.body, keepAlive: m.keepAlive, upgrade: m.upgrade })),
    partial: l.partial ? { method: l.partial.method, target: l.partial.target } : null,
    error: l.error,
  };
}

function slug(s) {
  return s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-|-$/g, '').slice(0, 100);
}

function writeFinding(dir, c, ex) {
  const file = join(dir, `${c.verdict}--${slug(c.key)}--${c.examples.length}.txt`);
  const lines = [
    `class:     ${c.key}`,
    `verdict:   ${c.verdict}${c.rule ? ` (${c.rule})` : ''}`,
    `found at:  seed ${ex.seed}, iteration ${ex.iteration} (${ex.kind}); reproduce: node fuzz/run.mjs --repro ${ex.seed}:${ex.iteration}`,
    `reads:     split at ${JSON.stringify(ex.cuts.length > 50 ? `${ex.cuts.length} cuts` : ex.cuts)}`,
    ex.message ? `problem:   ${ex.message}` : '',
    ex.limits ? `limits:    ${JSON.stringify(ex.limits)}` : '',
    `input:     ${literal(ex.input.length > 20000 ? ex.input.slice(0, 20000) : ex.input)}${ex.input.length > 20000 ? ` (first 20000 of ${ex.input.length} bytes)` : ''}`,
    ex.wasgi ? `wasgi:     ${JSON.stringify(ex.wasgi).slice(0, 4000)}` : '',
    ex.llhttp ? `llhttp:    ${JSON.stringify(ex.llhttp).slice(0, 4000)}` : '',
  ].filter(Boolean);
  writeFileSync(file, lines.join('\n') + '\n');
}

/** The stats as a plain summary object (for printing and summary.json). */
export function summary(stats) {
  const classes = [...stats.classes.values()].sort((a, b) => (a.verdict === b.verdict ? b.count - a.count : a.verdict < b.verdict ? -1 : 1));
  return {
    seed: stats.seed,
    iterations: stats.iterations,
    seconds: +(stats.ms / 1000).toFixed(1),
    perSecond: Math.round(stats.iterations / (stats.ms / 1000)),
    stoppedEarly: stats.stoppedEarly,
    inputs: stats.kinds,
    outcomes: stats.outcomes,
    requestsAccepted: stats.requests,
    inputsRejected: stats.rejected,
    megabytes: +(stats.bytes / 1e6).toFixed(1),
    largestInput: stats.largest,
    inputsOver16KiB: stats.over16k,
    inputsOverWindow: stats.overWindow,
    liveChecks: stats.liveChecks,
    problems: stats.problemCount,
    undecided: Object.fromEntries(Object.entries(stats.undecided).sort((x, y) => y[1] - x[1])),
    unexplained: classes.filter((c) => c.verdict === 'unexplained').reduce((n, c) => n + c.count, 0),
    classes: classes.map((c) => ({ verdict: c.verdict, rule: c.rule, key: c.key, count: c.count, example: `${c.examples[0].seed}:${c.examples[0].iteration}` })),
  };
}
