// File descriptors run short (`ulimit -n 64`), in real processes: the server stays up, does not
// spin, logs a bounded number of lines, keeps serving the connections it has, and accepts again
// once descriptors are free.
//
// A single process: libuv's accept meets EMFILE, gives back its reserved descriptor, accepts and
// closes what is pending, and waits for the next connection (uv__emfile_trick); Node reports
// nothing. A worker of the command never gets there: it fits its connection slots and waiting
// places in the descriptors it has (host/descriptors.ts), so newcomers wait and then get 503.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/net.js';
import { APP, eventually, killChildren, request, ROOT, sleep, start } from './fixtures/wasgi.js';

const OPEN_FILES = 64;
/** CPU time (user + system, in clock ticks of 10 ms) a process may use in a second of exhaustion. */
const CPU_TICKS_PER_SECOND = 20;

const spawned = new Set<ChildProcess>();
afterAll(() => {
  killChildren();
  for (const child of spawned) child.kill('SIGKILL');
});

/** utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU ticks the processes use over the next second. */
async function cpuOverASecond(pids: number[]): Promise<number> {
  const before = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
  await sleep(1000);
  return pids.reduce((sum, pid) => sum + cpuTicks(pid), 0) - before;
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
/** GET in two parts: a head on its way, and its end. */
const PARTIAL = 'GET / HTTP/1.1\r\n';
const PARTIAL_END = 'Host: x\r\n\r\n';

/**
 * Opens keep-alive connections, each answered before the next, until one is closed unanswered;
 * returns the answered ones and the last one.
 */
async function exhaust(port: number): Promise<{ held: RawClient[]; last: RawClient }> {
  const held: RawClient[] = [];
  for (let i = 0; i < 4 * OPEN_FILES; i++) {
    const client = await RawClient.connect(port);
    await client.write(GET);
    await eventually(() => client.closed || client.parseAll().responses.length > 0, 'an answer or exhaustion');
    if (client.parseAll().responses.length === 0) return { held, last: client };
    expect(client.parseAll().responses[0].status).toBe(200);
    held.push(client);
  }
  throw new Error(`${held.length} connections did not exhaust ${OPEN_FILES} descriptors`);
}

describe('out of file descriptors', () => {
  it('the command: a worker fits its connections in its descriptors; newcomers wait for a slot, then get 503, and are served once others close', async () => {
    const server = await start([APP, '-b', '127.0.0.1:0', '--keep-alive', '120', '--header-timeout', '120'], { openFiles: OPEN_FILES });
    const pids = [server.pid, ...server.workers()];
    expect(pids).toHaveLength(2);
    await server.waitFor(/\[warning\] worker \d+: ulimit -n 64 leaves room for \d+ connections/);
    const fit = /--max-connections (\d+) and --backlog (\d+)/.exec(server.stderr);
    const [slots, places] = [Number(fit?.[1]), Number(fit?.[2])];
    expect(slots).toBeGreaterThan(10);
    expect(places).toBeGreaterThan(0);

    const held: RawClient[] = [];
    for (let i = 0; i < slots; i++) {
      const client = await RawClient.connect(server.port);
      await client.write(GET);
      expect((await client.next(1))[0].status).toBe(200);
      // The next request's head is on its way: the connection is busy, not idle (an idle one would
      // be closed to make room for a newcomer).
      await client.write(PARTIAL);
      held.push(client);
    }
    // Every slot is taken: the next ones wait, unanswered, and past the waiting places get 503.
    const waiting: RawClient[] = [];
    for (let i = 0; i < places; i++) {
      const client = await RawClient.connect(server.port);
      await client.write(GET);
      waiting.push(client);
    }
    const refused = await RawClient.connect(server.port);
    await refused.write(GET);
    expect((await refused.next(1))[0].status).toBe(503);
    refused.destroy();
    expect(await cpuOverASecond(pids)).toBeLessThan(CPU_TICKS_PER_SECOND);
    expect(waiting.every((client) => !client.closed && client.data.length === 0)).toBe(true);
    await held[0].write(PARTIAL_END);
    expect((await held[0].next(1))[0].status).toBe(200);
    expect(server.workers()).toEqual(pids.slice(1));

    for (const client of held) client.destroy();
    for (const client of waiting) expect((await client.next(1, { timeoutMs: 10_000 }))[0].status).toBe(200);
    expect((await request(server.url)).status).toBe(200);

    const exit = await server.stop();
    expect(exit.code).toBe(0);
    // The fit at start and the 503s: no flood, and libuv never ran out (it would have said nothing).
    const lines = exit.stderr.trim().split('\n').filter((line) => !/\] \[info\] (started|SIGTERM|worker \d+ exited|stopped)/.test(line));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/answering 503 to newcomers/);
  });

  it('a single process (makeServer): libuv closes the excess at once, without spinning, and it serves again', async () => {
    const script = `
      import { makeServer } from ${JSON.stringify(`${ROOT}dist/index.js`)};
      const app = (environ, startResponse) => { startResponse('200 OK', [['Content-Type', 'text/plain']]); return ['ok']; };
      const server = await makeServer('127.0.0.1', 0, app, { keepAlive: 120, headerTimeout: 120 });
      console.log(server.serverAddress[1]);`;
    const child = spawn('/bin/sh', ['-c', `ulimit -n ${OPEN_FILES} && exec "$@"`, 'sh', process.execPath, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    spawned.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    try {
      await eventually(() => /^\d+\n/.test(stdout), `the server to listen; stderr: ${stderr}`);
      const port = Number(stdout.trim());
      const pid = child.pid as number;
      const { held, last } = await exhaust(port);
      expect(held.length).toBeGreaterThan(10);
      expect(last.closed).toBe(true);

      expect(await cpuOverASecond([pid])).toBeLessThan(CPU_TICKS_PER_SECOND);
      await held[0].write(GET);
      expect((await held[0].next(1))[0].status).toBe(200);
      expect(child.exitCode).toBeNull();

      for (const client of held) client.destroy();
      await eventually(async () => (await request(`http://127.0.0.1:${port}/`).catch(() => ({ status: 0 }))).status === 200, 'an answer after the connections closed');
      // Node is not told, so there is nothing to log.
      expect(stderr).toBe('');
    } finally {
      child.kill('SIGKILL');
      spawned.delete(child);
    }
  });
});
