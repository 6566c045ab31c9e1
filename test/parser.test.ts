// Data-driven conformance tests for the request parser.
// The tables live in ./parser.cases.ts; every case is fed to the parser
// in several read patterns so that incremental parsing is exercised too.

import { describe, expect, it } from 'vitest';
import { parseRequests } from './helpers/parse.js';
import { Core } from '../src/core.js';
import { invalidCases, validCases, type InvalidCase, type ValidCase } from './parser.cases.js';
import * as codes from '../src/contract.generated.js';
import { prng } from '../fuzz/mutate.mjs';

/** Some inputs are large (up to ~65 KiB) and are fed one byte per read. */
const TIMEOUT_MS = 120_000;

/** Split offsets for feeding the input one byte per read. */
function everyByte(input: string): number[] {
  const offsets: number[] = [];
  for (let i = 1; i < input.length; i++) offsets.push(i);
  return offsets;
}

/** FNV-1a hash of the case name, so each case gets its own stable split points. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}


const SEED = 0x5eed_2024;

/** Three distinct pseudo-random cut points strictly inside the input, ascending. */
function randomSplits(name: string, input: string): number[] {
  const inner = input.length - 1; // valid offsets are 1 .. length-1
  const want = Math.min(3, Math.max(0, inner));
  const rand = prng(SEED ^ fnv1a(name));
  const picked = new Set<number>();
  while (picked.size < want) picked.add(1 + Math.floor(rand() * inner));
  return [...picked].sort((a, b) => a - b);
}

describe('case tables', () => {
  it('have at least 60 valid and 60 invalid cases', () => {
    expect(validCases.length).toBeGreaterThanOrEqual(60);
    expect(invalidCases.length).toBeGreaterThanOrEqual(60);
  });

  it('have unique case names', () => {
    const names = [...validCases, ...invalidCases].map((c) => c.name);
    const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
    expect(duplicates).toEqual([]);
  });

  it('use latin-1 inputs only', () => {
    const wide = [...validCases, ...invalidCases]
      .filter((c) => /[^\x00-\xff]/.test(c.input))
      .map((c) => c.name);
    expect(wide).toEqual([]);
  });
});

const validRows = validCases.map((c): [string, ValidCase] => [c.name, c]);
const invalidRows = invalidCases.map((c): [string, InvalidCase] => [c.name, c]);

function expectValid(c: ValidCase, splitAt?: number[]): void {
  const result = parseRequests(c.input, splitAt);
  const how = splitAt === undefined ? 'whole' : `splitAt ${splitAt.length > 10 ? `${splitAt.length} offsets` : JSON.stringify(splitAt)}`;
  expect(result.error, `unexpected error (${how})`).toBeUndefined();
  expect(result.requests, `requests (${how})`).toEqual(c.requests);
}

function expectInvalid(c: InvalidCase, splitAt?: number[]): void {
  const result = parseRequests(c.input, splitAt);
  const how = splitAt === undefined ? 'whole' : 'one byte at a time';
  expect(result.error, `expected an error (${how})`).toBeDefined();
  expect(result.error?.status, `status (${how})`).toBe(c.status);
  expect(result.error?.code, `error code ${c.code} (${how})`).toBe(codes[c.code]);
  const reason = result.error?.reason;
  expect(typeof reason, `reason type (${how})`).toBe('string');
  expect((reason ?? '').length, `reason length (${how})`).toBeGreaterThan(0);
}

describe('valid requests', () => {
  describe('fed in one piece', () => {
    it.each(validRows)('%s', (_name, c) => {
      expectValid(c);
    }, TIMEOUT_MS);
  });

  describe('fed one byte at a time', () => {
    it.each(validRows)('%s', (_name, c) => {
      expectValid(c, everyByte(c.input));
    }, TIMEOUT_MS);
  });

  describe('split at 3 pseudo-random points', () => {
    it.each(validRows)('%s', (name, c) => {
      expectValid(c, randomSplits(name, c.input));
    }, TIMEOUT_MS);
  });
});

describe('invalid requests', () => {
  describe('fed in one piece', () => {
    it.each(invalidRows)('%s', (_name, c) => {
      expectInvalid(c);
    }, TIMEOUT_MS);
  });

  describe('fed one byte at a time', () => {
    it.each(invalidRows)('%s', (_name, c) => {
      expectInvalid(c, everyByte(c.input));
    }, TIMEOUT_MS);
  });
});

describe('a window filled to its last byte', () => {
  // A chunked body whose framing straddles the end of a full window: the decoded bytes handed
  // out in that run pin the window until the host copied them, and the core must still move the
  // partial line down and resume reading (a stalled upload otherwise).
  const windowSize = new Core({ maxConnections: 1 }).windowSize;
  const head = 'POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n';
  const second = 'b'.repeat(0x1234);
  const framing = '\r\n1234;name=value\r\n';
  const trailer = '\r\n0\r\nX-Checksum: 1\r\n\r\n';

  it.each([...Array(framing.length).keys()].map((k) => [k]))('with %i framing bytes inside it', (k) => {
    const firstSize = windowSize - head.length - 6 - k; // "xxxx\r\n" then the data, then k bytes of framing
    const first = 'a'.repeat(firstSize);
    const input = head + firstSize.toString(16).padStart(4, '0') + '\r\n' + first + framing + second + trailer + 'GET /next HTTP/1.1\r\nHost: example.com\r\n\r\n';
    const { requests, error } = parseRequests(input);
    expect(error).toBeUndefined();
    expect(requests.map((r) => r.path)).toEqual(['/upload', '/next']);
    expect(requests[0].body).toBe(first + second);
  });

  it.each([...Array(trailer.length - 2).keys()].map((k) => [k + 2]))('with %i bytes of the last chunk and trailers inside it', (k) => {
    const firstSize = windowSize - head.length - 6 - k;
    const first = 'a'.repeat(firstSize);
    const input = head + firstSize.toString(16).padStart(4, '0') + '\r\n' + first + trailer + 'GET /next HTTP/1.1\r\nHost: example.com\r\n\r\n';
    const { requests, error } = parseRequests(input);
    expect(error).toBeUndefined();
    expect(requests.map((r) => r.path)).toEqual(['/upload', '/next']);
    expect(requests[0].body).toBe(first);
  });
});
