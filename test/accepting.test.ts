// The workers accept on the primary's sockets themselves: the kernel spreads the connections, the
// primary takes no part in them (stopped, it is not missed), a worker that cannot accept holds up
// no newcomer, and a connection that comes while no worker listens waits in the socket's backlog
// for the next one. Real processes of the command, real sockets.

import { afterAll, describe, expect, it } from 'vitest';
import { destroyClients, RawClient } from './helpers/net.js';
import { APP, eventually, killChildren, request, sleep, start } from './fixtures/wasgi.js';

afterAll(() => {
  destroyClients();
  killChildren();
});

const GET_PID = 'GET /pid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
/** A client that waits longer than this has hung. */
const HUNG_MS = 5_000;

/** The status and body of the one response a client got, or null. */
function answer(client: RawClient): { status: number; body: string } | null {
  const responses = client.parseAll().responses;
  return responses.length === 0 ? null : { status: responses[0].status, body: responses[0].text };
}

/** Sends GET /pid on `clients` fresh connections at once; the pids that answered each. */
async function pidsOf(port: number, clients: number, timeoutMs = HUNG_MS): Promise<number[]> {
  const opened = await Promise.all(Array.from({ length: clients }, () => RawClient.connect(port)));
  await Promise.all(opened.map((client) => client.write(GET_PID)));
  await eventually(() => opened.every((c) => answer(c) !== null), 'every connection answered', timeoutMs);
  return opened.map((client) => {
    expect(answer(client)?.status).toBe(200);
    return Number(answer(client)?.body);
  });
}

describe.concurrent('wasgi --workers: the workers accept', () => {
  it('connections are spread over the workers, and the primary takes no part: stopped, it is not missed', async () => {
    const wasgi = await start([APP, '-w', '2', '-b', '127.0.0.1:0']);
    const workers = wasgi.workers().sort();
    expect(workers).toHaveLength(2);
    process.kill(wasgi.pid, 'SIGSTOP');
    try {
      const seen = new Set<number>();
      for (let round = 0; round < 20 && seen.size < 2; round++) for (const pid of await pidsOf(wasgi.port, 8)) seen.add(pid);
      expect([...seen].sort()).toEqual(workers);
    } finally {
      process.kill(wasgi.pid, 'SIGCONT');
    }
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('a worker whose event loop is blocked holds up no newcomer: the other takes them all', async () => {
    const wasgi = await start([APP, '-w', '2', '-b', '127.0.0.1:0']);
    void request(`${wasgi.url}/block?ms=4000`).catch(() => 'cut off');
    await wasgi.waitFor(/^worker \d+ blocks$/m);
    const blocked = Number(/^worker (\d+) blocks$/m.exec(wasgi.stderr)?.[1]);
    const other = wasgi.workers().find((pid) => pid !== blocked) as number;
    // Each within a second, long before the blocked worker wakes.
    for (let i = 0; i < 5; i++) expect(await pidsOf(wasgi.port, 4, 1_000)).toEqual([other, other, other, other]);
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('the only worker killed by --timeout: connections that came meanwhile wait for its replacement, which answers them', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0', '--timeout', '1']);
    void request(`${wasgi.url}/block?ms=10000`).catch(() => 'cut off with its worker');
    await wasgi.waitFor(/^worker \d+ blocks$/m);
    const [blocked] = wasgi.workers();
    const clients: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const client = await RawClient.connect(wasgi.port);
      await client.write(GET_PID);
      clients.push(client);
    }
    await wasgi.waitFor(new RegExp(`worker ${blocked} timed out`));
    await eventually(() => clients.every((c) => answer(c) !== null || c.closed), 'every client answered or closed');
    const replacement = wasgi.workers().find((pid) => pid !== blocked);
    for (const client of clients) expect(answer(client)).toEqual({ status: 200, body: String(replacement) });
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
  it('none hangs and none is refused: those that come before the replacement listens wait for it', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const [victim] = wasgi.workers();
    const probes: Promise<Outcome>[] = [];
    const began = Date.now();
    let killed = false;
    while (Date.now() - began < 3_000) {
      if (!killed && Date.now() - began > 500) {
        process.kill(victim, 'SIGKILL');
        killed = true;
      }
      probes.push(probe(wasgi.port));
      await sleep(5);
    }
    await wasgi.waitFor(/worker \d+ listening/);
    const outcomes = await Promise.all(probes);
    const count = (outcome: Outcome): number => outcomes.filter((o) => o === outcome).length;
    const summary = { answered: count('answered'), refused: count('refused'), reset: count('reset'), closed: count('closed'), hung: count('hung') };
    // Those the dead worker had accepted are cut off with it; every other one is answered.
    expect(summary.hung, JSON.stringify(summary)).toBe(0);
    expect(summary.refused, JSON.stringify(summary)).toBe(0);
    expect(summary.answered, JSON.stringify(summary)).toBeGreaterThan(outcomes.length - 5);
    expect((await wasgi.stop()).code).toBe(0);
  });
});
