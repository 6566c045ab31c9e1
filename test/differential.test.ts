// A short fixed-seed run of the fuzzer (fuzz/): mutated and generated requests through the core
// and through Node's llhttp. The core must never trap, hand out a span outside its window or keep
// a connection slot, and every disagreement with llhttp must be one of the deliberate differences
// in fuzz/classify.mjs (docs/FUZZING.md). The long runs are `npm run fuzz`.

import { beforeAll, describe, expect, it } from 'vitest';
// Plain ES modules shared with fuzz/run.mjs (one copy of the engine and the classifier).
import { setup, fuzz, summary, runInput } from '../fuzz/engine.mjs';
import { DELIBERATE, KNOWN_BUGS } from '../fuzz/classify.mjs';

type Env = Awaited<ReturnType<typeof setup>>;
let env: Env;

beforeAll(async () => {
  env = await setup();
});

describe('differential fuzzing against llhttp (fixed seed)', () => {
  it('20 000 inputs: no trap, no leak, no disagreement outside the deliberate classes', () => {
    const stats = fuzz(env, { seed: 0x5eed, iterations: 20_000, progressEvery: 0, liveEvery: 2_000 });
    const s = summary(stats);
    const show = (verdict: string) => s.classes.filter((c: { verdict: string }) => c.verdict === verdict);

    const problems = stats.problems.map((p: { message: string; seed: number; iteration: number }) => `${p.message} (node fuzz/run.mjs --repro ${p.seed}:${p.iteration})`);
    expect(problems).toEqual([]);
    expect(show('unexplained')).toEqual([]);
    const bugs = show('bug');
    if (bugs.length > 0) console.warn(`known core bugs still present (fuzz/classify.mjs KNOWN_BUGS): ${bugs.map((c: { key: string; count: number }) => `${c.key} x${c.count}`).join('; ')}`);

    // The run means something only if both parsers accepted plenty and disagreed in many ways.
    expect(s.outcomes.agree).toBeGreaterThan(10_000);
    expect(s.requestsAccepted).toBeGreaterThan(3_000);
    expect(s.outcomes.differ).toBeGreaterThan(1_000);
    expect(new Set(show('deliberate').map((c: { rule: string }) => c.rule)).size).toBeGreaterThan(15);
    expect(s.liveChecks).toBe(10);
  });

  it('every deliberate difference and known bug is recognised on its example', () => {
    for (const rule of [...DELIBERATE, ...KNOWN_BUGS]) {
      const r = runInput(env, rule.example);
      expect(r.problems, rule.id).toEqual([]);
      expect({ id: rule.id, verdict: r.diff?.verdict, rule: r.diff?.rule }).toEqual({ id: rule.id, verdict: KNOWN_BUGS.includes(rule) ? 'bug' : 'deliberate', rule: rule.id });
    }
  });

  it('inputs both parsers agree on stay agreed', () => {
    const same = [
      'GET /a%20b?c=d HTTP/1.1\r\nHost: example.com\r\nX-A:  1 \r\n\r\n',
      'POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.0\r\n\r\n',
      'PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello',
      'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\nX : b\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n',
      'GET / HTTP/1.1\nHost: a\n\n',
    ];
    for (const input of same) {
      const r = runInput(env, input);
      expect(r.problems).toEqual([]);
      expect([input, r.outcome]).toEqual([input, 'agree']);
    }
  });
});
