// Workers that die take nobody with them: a connection the primary has handed to a worker that
// dies before taking it is answered by another worker or closed, never left open. Real processes
// of the command, real sockets.

import { afterAll, describe, expect, it } from 'vitest';
import { destroyClients, RawClient } from './helpers/net.js';
import { APP, eventually, killChildren, request, sleep, start, type Wasgi } from './fixtures/wasgi.js';

afterAll(() => {
  destroyClients();
  killChildren();
});

const GET_PID = 'GET /pid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
/** How long a client may wait, once its worker is dead, for an answer or a close. */
const SETTLED_MS = 2_000;
/** A client that waits longer than this has hung. */
const HUNG_MS = 5_000;

/** The status and body of the one response a client got, or null. */
function answer(client: RawClient): { status: number; body: string } | null {
  const responses = client.parseAll().responses;
  return responses.length === 0 ? null : { status: responses[0].status, body: responses[0].text };
}

/**
 * Starts 2 workers and blocks one's event loop; then opens connections one by one until one waits
 * unanswered (the primary handed it to the blocked worker, which cannot take it). Returns the
 * blocked worker, the other one and the waiting clients.
 */
async function handOverToBlockedWorker(args: string[]): Promise<{ wasgi: Wasgi; blocked: number; other: number; waiting: RawClient[] }> {
  const wasgi = await start([APP, '-w', '2', '-b', '127.0.0.1:0', ...args]);
  void request(`${wasgi.url}/block?ms=10000`).catch(() => 'cut off with its worker');
  await wasgi.waitFor(/^worker \d+ blocks$/m);
  const blocked = Number(/^worker (\d+) blocks$/m.exec(wasgi.stderr)?.[1]);
  const other = wasgi.workers().find((pid) => pid !== blocked) as number;
  const clients: RawClient[] = [];
  for (let i = 0; i < 4; i++) {
    const client = await RawClient.connect(wasgi.port);
    await client.write(GET_PID);
    clients.push(client);
    await sleep(100);
  }
  await eventually(() => clients.some((c) => answer(c) !== null), 'the other worker to answer');
  const waiting = clients.filter((c) => answer(c) === null && !c.closed);
  // Round-robin: once the other worker has answered, the next connection goes to the blocked one.
  expect(waiting.length).toBeGreaterThan(0);
  for (const client of clients.filter((c) => !waiting.includes(c))) expect(answer(client)).toEqual({ status: 200, body: String(other) });
  return { wasgi, blocked, other, waiting };
}

/** Waits (at most SETTLED_MS) until each client is answered or closed; returns the unsettled ones. */
async function unsettled(clients: RawClient[]): Promise<RawClient[]> {
  await eventually(() => clients.every((c) => c.closed || answer(c) !== null), 'every client answered or closed', SETTLED_MS).catch(() => {});
  return clients.filter((c) => !c.closed && answer(c) === null);
}

describe.concurrent('wasgi --workers: connections handed to a worker that dies', () => {
  it('a worker killed with SIGKILL before taking them: another worker answers them', async () => {
    const { wasgi, blocked, other, waiting } = await handOverToBlockedWorker([]);
    process.kill(blocked, 'SIGKILL');
    await wasgi.waitFor(new RegExp(`worker ${blocked} was killed by SIGKILL`));
    expect(await unsettled(waiting)).toEqual([]);
    // Nothing reached the dead worker's application: the other worker answers each.
    for (const client of waiting) expect(answer(client)).toEqual({ status: 200, body: String(other) });
    expect(wasgi.stderr).toMatch(new RegExp(`worker ${blocked} died before taking a connection handed to it: 1 handed to another worker`));
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('a worker killed by --timeout before taking them: another worker answers them', async () => {
    const { wasgi, blocked, other, waiting } = await handOverToBlockedWorker(['--timeout', '1']);
    await wasgi.waitFor(new RegExp(`worker ${blocked} timed out`));
    expect(await unsettled(waiting)).toEqual([]);
    for (const client of waiting) expect(answer(client)).toEqual({ status: 200, body: String(other) });
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('the only worker killed by --timeout before taking one: it is closed at once', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0', '--timeout', '1']);
    void request(`${wasgi.url}/block?ms=10000`).catch(() => 'cut off with its worker');
    await wasgi.waitFor(/^worker \d+ blocks$/m);
    const blocked = wasgi.workers()[0];
    const clients: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const client = await RawClient.connect(wasgi.port);
      await client.write(GET_PID);
      clients.push(client);
    }
    await wasgi.waitFor(new RegExp(`worker ${blocked} timed out`));
    // No other worker listens: the one handed over is closed, and so are those node:cluster queued
    // behind it (unless it kept its listening socket for the replacement, which then answers them).
    expect(await unsettled(clients)).toEqual([]);
    for (const client of clients) expect(answer(client)?.body ?? 'closed').not.toBe(String(blocked));
    expect(wasgi.stderr).toMatch(new RegExp(`worker ${blocked} died before taking a connection handed to it: 1 closed`));
    expect((await wasgi.stop()).code).toBe(0);
  });
});

type Outcome = 'answered' | 'refused' | 'reset' | 'closed' | 'hung';

/** One GET /pid on a fresh connection: how it ended (hung: no answer nor close in HUNG_MS). */
async function probe(port: number): Promise<Outcome> {
  let client: RawClient;
  try {
    client = await RawClient.connect(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') return 'refused';
    throw error;
  }
  await client.write(GET_PID).catch(() => {});
  // Each request asks for the connection to be closed after the answer.
  await eventually(() => client.closed, 'a close', HUNG_MS).catch(() => {});
  const outcome: Outcome = answer(client)?.status === 200 ? 'answered' : !client.closed ? 'hung' : client.reset ? 'reset' : 'closed';
  client.destroy();
  return outcome;
}

describe('wasgi: the only worker killed with SIGKILL under a stream of connections', () => {
  it('no connection hangs, and none is refused once the replacement listens', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const [victim] = wasgi.workers();
    const probes: { opened: number; outcome: Promise<Outcome> }[] = [];
    const began = Date.now();
    let killed = 0;
    let replaced = 0;
    while (Date.now() - began < 3_000) {
      if (killed === 0 && Date.now() - began > 500) {
        process.kill(victim, 'SIGKILL');
        killed = Date.now();
      }
      if (killed > 0 && replaced === 0 && [...wasgi.stderr.matchAll(/worker (\d+) listening/g)].some((m) => Number(m[1]) !== victim)) replaced = Date.now();
      probes.push({ opened: Date.now(), outcome: probe(wasgi.port) });
      await sleep(5);
    }
    const outcomes = await Promise.all(probes.map(async (p) => ({ opened: p.opened, outcome: await p.outcome })));
    const count = (outcome: Outcome): number => outcomes.filter((o) => o.outcome === outcome).length;
    const summary = { answered: count('answered'), refused: count('refused'), reset: count('reset'), closed: count('closed'), hung: count('hung') };
    expect(replaced, `the replacement listening within the run; ${JSON.stringify(summary)}`).toBeGreaterThan(0);
    expect(summary.hung, JSON.stringify(summary)).toBe(0);
    // Refused only while no worker listens: node:cluster closes the listening socket with its last
    // worker, and the replacement opens it again.
    expect(outcomes.filter((o) => o.outcome === 'refused' && o.opened >= replaced), JSON.stringify(summary)).toEqual([]);
    expect(summary.answered).toBeGreaterThan(0);
    expect((await wasgi.stop()).code).toBe(0);
  });
});
