// A short fixed-seed mutation run over the core: whatever the bytes, the core answers with
// requests or an error, never a trap, and always hands back its connection slot.

import { describe, expect, it } from 'vitest';
import { parseRequests } from './helpers/parse.js';
import { validCases, invalidCases } from './parser.cases.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = ['\r', '\n', '\r\n', ' ', '\t', ':', ';', '%', '0', 'f', '\x00', '\x7f', '\xff', ',', '"', '\r\n\r\n'];

function mutate(input: string, rand: () => number): string {
  let s = input;
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (s.length + 1));
    switch (Math.floor(rand() * 5)) {
      case 0: s = s.slice(0, at) + s.slice(at + 1); break;
      case 1: s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 256)) + s.slice(at + 1); break;
      case 2: s = s.slice(0, at) + INTERESTING[Math.floor(rand() * INTERESTING.length)] + s.slice(at); break;
      case 3: s = s.slice(0, at) + s.slice(at, at + 16).repeat(2) + s.slice(at + 16); break;
      default: s = s.slice(0, at); break;
    }
  }
  return s;
}

describe('mutation fuzzing (fixed seed)', () => {
  it('never traps and keeps answering on 20 000 mutated inputs', () => {
    const rand = prng(0x5eed);
    const seeds = [...validCases, ...invalidCases].map((c) => c.input).filter((s) => s.length < 4096);
    let requests = 0;
    let errors = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = mutate(seeds[Math.floor(rand() * seeds.length)], rand);
      const cuts = [Math.floor(rand() * input.length), Math.floor(rand() * input.length)];
      const result = parseRequests(input, cuts);
      requests += result.requests.length;
      if (result.error) {
        errors++;
        expect(result.error.status).toBeGreaterThanOrEqual(400);
        expect(result.error.reason.length).toBeGreaterThan(0);
      }
    }
    // The run is only meaningful if it exercised both sides.
    expect(requests).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(1000);
    // The shared core still parses a clean request afterwards (no slot leaked, no state left).
    const clean = parseRequests('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(clean.error).toBeUndefined();
    expect(clean.requests).toHaveLength(1);
  });

  it('never traps on random bytes', () => {
    const rand = prng(42);
    for (let i = 0; i < 3000; i++) {
      const n = Math.floor(rand() * 300);
      let s = '';
      for (let k = 0; k < n; k++) s += String.fromCharCode(Math.floor(rand() * 256));
      parseRequests(s, [Math.floor(rand() * n)]);
    }
    expect(parseRequests('GET / HTTP/1.1\r\nHost: a\r\n\r\n').requests).toHaveLength(1);
  });
});
