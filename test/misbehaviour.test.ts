// The application boundary is total: whatever an application does (test/fixtures/misbehaviours.mjs
// lists it, row by row), the client gets a 500 or, once the head went out, an aborted connection;
// the error log gets exactly one line naming the mistake; the result's close() (a generator's
// return()) is called exactly once; and the server goes on serving, in one process and under the
// command. Clients that leave a response that never ends get their connection, descriptors and
// memory back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { RawClient, ResponseParseError, sleep, tick } from './helpers/net.js';
import { eventually, healthCheck, start as startServer, type Running } from './helpers/server.js';
import { ROOT, killChildren, start as startCommand, type Wasgi } from './fixtures/wasgi.js';
import type { Application } from '../index.js';
import * as table from './fixtures/misbehaviours.mjs';

type Expectation = '500' | 'aborted' | 'fault' | '200';

interface Row {
  id: number;
  name: string;
  shape: string;
  expect: Expectation;
  cleanups: number;
  mentions: RegExp[];
}

interface Departure {
  id: number;
  name: string;
  cleanups: number;
}

interface Counter {
  calls: number;
  cleanups: number;
  bodyBegun: boolean;
  faultAfterBody: boolean | null;
  lateWrites: number;
}

const cases = table.cases as Row[];
const departures = table.departures as Departure[];
const application = table.application as Application;
const counterOf = table.counterOf as (kind: 'case' | 'depart', id: number) => Counter;
const liveDepartures = table.liveDepartures as () => number;
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'misbehaviours.mjs');
/** One worker; a worker whose event loop stops for 5 s is replaced (and the test sees a new pid). */
const COMMAND = [`${FIXTURE}:application`, '--workers', '1', '--bind', '127.0.0.1:0', '--timeout', '5'];

/** How long a row's response may take: every answer here is immediate, so this only bounds a hang. */
const RESPONSE_MS = 500;
/**
 * How long cleanups and log lines may lag behind the good requests that follow a row (two more
 * round trips, by which time they are long done).
 */
const LAG_MS = 50;

/** What a row runs against: a server in this process or the command. */
interface Target {
  port(): number;
  counter(kind: 'case' | 'depart', id: number): Promise<Counter>;
  /** Error-log entries so far, each one message (with its continuation lines). */
  entries(): string[];
  /** Problems the target saw itself during the row (unhandled rejections, a worker replaced...). */
  problems(): Promise<string[]>;
}

const ERROR_ENTRY = /^\[[^\]]*\] \[(error|critical)\] /;

/** Requests `/case/N` on a keep-alive connection, then the good requests; returns what broke the contract. */
async function checkRow(target: Target, row: Row): Promise<string[]> {
  const problems: string[] = [];
  const logged = target.entries().length;
  const port = target.port();
  const client = await RawClient.connect(port);
  try {
    await client.write(`GET /case/${row.id} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const settled = (): boolean => {
      if (client.closed) return true;
      try {
        return client.parseAll().responses.some((r) => r.complete);
      } catch {
        return true;
      }
    };
    await client.waitFor(settled, RESPONSE_MS, 'a response or a close').catch(() => undefined);
    let expectation: Expectation = row.expect;
    if (expectation === 'fault') {
      const counter = await target.counter('case', row.id);
      if (counter.faultAfterBody === null) problems.push('the server never read the result\'s close');
      expectation = counter.faultAfterBody === true ? 'aborted' : '500';
    }
    const seen = (): string => JSON.stringify(client.text.slice(0, 300));
    let parsed;
    try {
      parsed = client.parseAll();
    } catch (error) {
      if (!(error instanceof ResponseParseError)) throw error;
      problems.push(`unparsable response (${error.message}): ${seen()}`);
    }
    if (parsed !== undefined && (expectation === '500' || expectation === '200')) {
      const first = parsed.responses[0];
      const status = Number(expectation);
      if (first === undefined || !first.complete) {
        problems.push(`expected a complete ${status}, got ${client.closed ? 'a closed connection' : 'nothing'}: ${seen()}`);
      } else if (first.status !== status || first.informational.length > 0) {
        problems.push(`expected a ${status}, got ${[...first.informational, first].map((r) => r.status).join(' then ')}: ${seen()}`);
      } else if (status === 200 && first.text !== 'hello') {
        problems.push(`expected the body "hello", got ${JSON.stringify(first.text)}`);
      } else if (first.connectionHas('close')) {
        await client.waitClosed(LAG_MS).catch(() => problems.push(`a ${status} with Connection: close, but the connection stayed open`));
        if (parsed.consumed !== client.data.length || parsed.responses.length > 1) problems.push(`bytes after the ${status}: ${seen()}`);
      } else if (client.closed) {
        problems.push(`a ${status} without Connection: close, but the connection closed`);
      } else {
        await client.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
        await client.waitFor(() => client.closed || client.parseAll().responses.filter((r) => r.complete).length >= 2, RESPONSE_MS, 'the next response').catch(() => undefined);
        const after = client.parseAll().responses;
        if (after.length !== 2 || after[1].status !== 200 || after[1].text !== 'ok') {
          problems.push(`the kept-alive connection did not answer the next request with 200 ok: ${seen()}`);
        }
      }
    } else if (parsed !== undefined && expectation === 'aborted') {
      await client.waitClosed(LAG_MS).catch(() => problems.push(`expected an aborted connection, but it stayed open: ${seen()}`));
      const after = client.parseAll().responses;
      if (after.some((r) => r.complete)) problems.push(`expected an incomplete response, got a complete one: ${seen()}`);
      if (client.data.length === 0) problems.push('expected the head to have gone out, got no bytes');
    }
  } finally {
    client.destroy();
  }

  const fresh = await healthCheck(port, '/ok').catch((error: unknown) => ({ status: 0, body: String(error) }));
  if (fresh.status !== 200 || fresh.body !== 'ok') problems.push(`a new connection afterwards got ${fresh.status} ${fresh.body}`);

  let counter = await target.counter('case', row.id);
  const until = Date.now() + LAG_MS;
  while (counter.cleanups < row.cleanups && Date.now() < until) {
    await sleep(5);
    counter = await target.counter('case', row.id);
  }
  // A late write comes from a timer after the response.
  while (row.expect === '200' && counter.lateWrites === 0 && Date.now() < until + RESPONSE_MS) {
    await sleep(5);
    counter = await target.counter('case', row.id);
  }
  for (let i = 0; i < 3; i++) await tick();
  counter = await target.counter('case', row.id);
  if (counter.cleanups !== row.cleanups) problems.push(`close()/return() called ${counter.cleanups} times, expected ${row.cleanups}`);

  const errorsSince = (): string[] => target.entries().slice(logged).filter((e) => ERROR_ENTRY.test(e));
  const logUntil = Date.now() + LAG_MS;
  while (errorsSince().length === 0 && Date.now() < logUntil) await sleep(5);
  const errors = errorsSince();
  if (errors.length !== 1) {
    problems.push(`${errors.length} error entries, expected 1${errors.length > 0 ? `: ${JSON.stringify(errors)}` : ''}`);
  } else {
    if (errors[0].includes('[critical]')) problems.push(`a critical entry: ${JSON.stringify(errors[0])}`);
    for (const pattern of row.mentions) {
      if (!pattern.test(errors[0])) problems.push(`the error entry does not match ${pattern}: ${JSON.stringify(errors[0].slice(0, 400))}`);
    }
  }
  problems.push(...await target.problems());
  return problems;
}

const departureMode = { FIN: 'leaves with FIN', RST: 'resets the connection' } as const;
type Mode = keyof typeof departureMode;

/** A client that asks for `/depart/N` and throws away what it gets. */
function departingClient(port: number, id: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => {
      socket.write(`GET /depart/${id} HTTP/1.1\r\nHost: x\r\n\r\n`, () => resolve(socket));
    });
    socket.on('error', reject);
    socket.on('data', () => {});
  });
}

/** Leaves: FIN (the server has a moment to see it before the socket is closed), or RST. */
async function leave(socket: net.Socket, mode: Mode): Promise<void> {
  socket.removeAllListeners('error');
  socket.on('error', () => {});
  if (mode === 'RST') {
    socket.resetAndDestroy();
    return;
  }
  await new Promise<void>((resolve) => socket.end(resolve));
  await sleep(20);
  socket.destroy();
}

/**
 * `repeats` clients per departure row ask for the response that never ends and leave once the
 * application has it; returns the rows whose close()/return() was not called once per client.
 */
async function departAll(target: Target, mode: Mode, repeats: number, cleanupMs = 1000): Promise<string[]> {
  const problems: string[] = [];
  for (const row of departures) {
    try {
      problems.push(...await departOne(target, row, mode, repeats, cleanupMs));
    } catch (error) {
      problems.push(`${row.name}: ${String(error)}`);
    }
  }
  return problems;
}

async function departOne(target: Target, row: Departure, mode: Mode, repeats: number, cleanupMs: number): Promise<string[]> {
  const problems: string[] = [];
  const before = await target.counter('depart', row.id);
  const sockets = await Promise.all(Array.from({ length: repeats }, () => departingClient(target.port(), row.id)));
  const called = async (): Promise<boolean> => (await target.counter('depart', row.id)).calls >= before.calls + repeats;
  await waitUntil(called, RESPONSE_MS);
  if (!await called()) problems.push(`${row.name}: the application was not called for every client`);
  // Let the endless ones stream a little.
  await sleep(10);
  await Promise.all(sockets.map((s) => leave(s, mode)));
  const want = before.cleanups + repeats * row.cleanups;
  const cleaned = async (): Promise<boolean> => (await target.counter('depart', row.id)).cleanups >= want;
  await waitUntil(cleaned, cleanupMs);
  for (let i = 0; i < 3; i++) await tick();
  const after = await target.counter('depart', row.id);
  if (after.cleanups !== want) problems.push(`${row.name}: close()/return() called ${after.cleanups - before.cleanups} times for ${repeats} departed clients, expected ${want - before.cleanups}`);
  return problems;
}

async function waitUntil(predicate: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!await predicate() && Date.now() < until) await sleep(10);
}

const openDescriptors = (pid: number | 'self' = 'self'): number => readdirSync(`/proc/${pid}/fd`).length;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

function title(row: Row): string {
  return `#${row.id} ${row.name} → ${row.expect === 'fault' ? '500 or aborted' : row.expect === '200' ? '200, then the mistake' : row.expect}`;
}

describe('in one process', () => {
  let running: Running;
  let logs: string[] = [];
  let broken = false;
  let current = '';
  const unhandled: string[] = [];
  const logCallsThrew: string[] = [];
  const onUnhandled = (kind: string) => (reason: unknown): void => {
    let text: string;
    try {
      text = reason instanceof Error ? reason.message : String(reason);
    } catch {
      text = '(unprintable)';
    }
    unhandled.push(`${kind} during ${current}: ${text}`);
  };
  const onRejection = onUnhandled('unhandled rejection');
  const onException = onUnhandled('uncaught exception');

  /** A server whose log calls are watched: a log call that throws is the server's own failure. */
  async function startWatched(): Promise<Running> {
    const entries: string[] = [];
    logs = entries;
    const started = await startServer(application, {
      validate: false,
      errorLog: (text: string) => {
        if (typeof text !== 'string') logCallsThrew.push(`the error log was given a ${typeof text} during ${current}`);
        entries.push(String(text));
      },
    });
    const log = started.server.log;
    for (const method of ['log', 'error'] as const) {
      const original = log[method].bind(log) as (...args: unknown[]) => void;
      (log as unknown as Record<string, unknown>)[method] = (...args: unknown[]): void => {
        try {
          original(...args);
        } catch (error) {
          logCallsThrew.push(`the server's log.${method}() threw during ${current}: ${error instanceof Error ? error.message : typeof error}`);
          throw error;
        }
      };
    }
    const warm = await healthCheck(started.port, '/ok');
    if (warm.status !== 200) throw new Error(`the fixture's /ok answered ${warm.status}`);
    return started;
  }

  const target: Target = {
    port: () => running.port,
    counter: async (kind, id) => ({ ...counterOf(kind, id) }),
    entries: () => logs,
    problems: async () => {
      const found = [...unhandled.splice(0), ...logCallsThrew.splice(0)];
      return found;
    },
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    running = await startWatched();
  });

  afterAll(async () => {
    await running.server.shutdown();
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  });

  describe('every misbehaviour, over a keep-alive connection and a new one', () => {
    for (const row of cases) {
      it(title(row), async () => {
        if (broken) {
          // The previous row left the server unable to serve: the next rows get a new one.
          await running.server.shutdown();
          running = await startWatched();
          broken = false;
        }
        current = `row ${row.id}`;
        const problems = await checkRow(target, row);
        if (problems.some((p) => p.startsWith('a new connection afterwards'))) broken = true;
        if (problems.length > 0) expect.fail(problems.join('\n'));
      });
    }
  });

  describe('clients that leave a response that never ends', () => {
    const REPEATS = 10;
    // Descriptors: every departed connection must be closed, so the count comes back exactly; two
    // spare for what the test runner itself may open meanwhile. Heap: after a full GC it still
    // wanders by about ±250 KiB between two batches here (measured: -233 KiB over a batch that
    // leaked 50 connections), so the heap bound only catches the big leaks (a response buffered
    // for a dead socket, a window per connection); what the server holds of each departed request
    // is checked exactly, by weak references to its environ.
    const SPARE_DESCRIPTORS = 2;
    const HEAP_SLACK = 1024 * 1024;

    beforeAll(async () => {
      current = 'the warm-up departures';
      // Warm up the paths (compiled code, pools) so the measured batches compare like with like.
      await departAll(target, 'FIN', REPEATS, 100);
      await departAll(target, 'RST', REPEATS, 100);
      await target.problems();
      heapAfterGc();
      liveDepartures();
    });

    for (const mode of ['FIN', 'RST'] as const) {
      it(`a client that ${departureMode[mode]}: close()/return() once per request, descriptors and heap come back`, async () => {
        current = `the ${mode} departures`;
        const descriptors = openDescriptors();
        const heap = heapAfterGc();
        liveDepartures();
        const problems = await departAll(target, mode, REPEATS);
        await eventually(() => openDescriptors() <= descriptors + SPARE_DESCRIPTORS, 'the descriptors to be closed', 2000).catch(() => undefined);
        const heapAfter = heapAfterGc();
        problems.push(...await target.problems());
        const descriptorsLeft = openDescriptors() - descriptors;
        if (descriptorsLeft > SPARE_DESCRIPTORS) problems.push(`${descriptorsLeft} descriptors more than before the batch`);
        const live = liveDepartures();
        if (live > 0) problems.push(`the server still holds the environs of ${live} departed requests`);
        if (heapAfter - heap > HEAP_SLACK) problems.push(`the heap grew by ${Math.round((heapAfter - heap) / 1024)} KiB over the batch`);
        if (problems.length > 0) expect.fail(problems.join('\n'));
        const healthy = await healthCheck(running.port, '/ok');
        expect(healthy).toEqual({ status: 200, body: 'ok' });
      });
    }
  });
});

describe('under the command, with one worker', () => {
  let wasgi: Wasgi;
  /** The worker now, and the one that served the first row. */
  let worker = 0;
  let first = 0;

  /** GET on a new connection; a worker that does not answer within a second is a failure. */
  async function get(pathname: string): Promise<string> {
    const client = await RawClient.connect(wasgi.port);
    try {
      await client.write(`GET ${pathname} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const [r] = await client.next(1, { timeoutMs: 1000 });
      if (r?.status !== 200) throw new Error(`${pathname}: ${r?.status} ${r?.text}`);
      return r.text;
    } finally {
      client.destroy();
    }
  }

  const workerDescriptors = (): number => {
    try {
      return openDescriptors(worker);
    } catch {
      return Infinity; // the worker is gone
    }
  };

  const target: Target = {
    port: () => wasgi.port,
    counter: async (kind, id) => JSON.parse(await get(kind === 'case' ? `/count/${id}` : `/count/depart/${id}`)) as Counter,
    entries: () => wasgi.stderr.split(/(?=^\[[^\]]*\] \[)/m).filter((entry) => entry !== ''),
    problems: async () => {
      const pid = Number(await get('/pid').catch(() => '0'));
      return pid === worker ? [] : [`the worker ${worker} was replaced by ${pid}`];
    },
  };

  beforeAll(async () => {
    wasgi = await startCommand(COMMAND);
    await get('/ok');
    worker = first = Number(await get('/pid'));
  });

  afterAll(async () => {
    if (!wasgi.exited) await wasgi.stop();
    killChildren();
  });

  describe('every misbehaviour', () => {
    for (const row of cases) {
      it(title(row), async () => {
        if (wasgi.exited) {
          // An earlier row made the command give up: the next rows get a new one.
          wasgi = await startCommand(COMMAND);
          await get('/ok');
          worker = Number(await get('/pid'));
        }
        const problems = await checkRow(target, row);
        // Later rows are told apart from this one's crash.
        const pid = Number(await get('/pid').catch(() => '0'));
        if (pid !== 0) worker = pid;
        if (problems.length > 0) expect.fail(problems.join('\n'));
      });
    }
  });

  it('the worker that served the first row serves after the last', async () => {
    expect(Number(await get('/pid'))).toBe(first);
    expect(wasgi.workers()).toEqual([first]);
  });

  for (const mode of ['FIN', 'RST'] as const) {
    it(`a client that ${departureMode[mode]} gets close()/return() called once, and the worker its descriptors back`, async () => {
      // (The worker's descriptors are exact: nothing else runs in it.)
      const descriptors = workerDescriptors();
      const problems = await departAll(target, mode, 3);
      problems.push(...await target.problems());
      // (After the counters were read: that request's own connection closes too.)
      await eventually(() => workerDescriptors() <= descriptors, 'the worker to close the descriptors', 2000).catch(() => undefined);
      const descriptorsLeft = workerDescriptors() - descriptors;
      if (descriptorsLeft > 0) problems.push(`the worker has ${descriptorsLeft} descriptors more than before the batch`);
      if (problems.length > 0) expect.fail(problems.join('\n'));
    });
  }

});
