// Several worker processes: the primary's supervision and its signals, over real processes and
// sockets. Requests go on fresh connections, so the primary's round-robin spreads them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP, eventually, killChildren, load, problems, request, ROOT, sleep, start, text } from './fixtures/wasgi.js';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wasgi-cluster-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

// A test stops its servers itself; whatever a failed one left running is killed at the end.
afterAll(() => {
  killChildren();
});

/** The pids that answer `count` requests to /pid. */
async function pids(url: string, count: number): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) seen.add(Number(await text(`${url}/pid`)));
  return seen;
}
// Independent of timing: these run side by side.
describe.concurrent('wasgi --workers: supervision', () => {
  it('2 workers serve, each request on a fresh connection goes to the next one; wsgi.multiprocess is true', async () => {
    const wasgi = await start([APP, '--workers', '2', '--bind', '127.0.0.1:0']);
    expect(wasgi.workers()).toHaveLength(2);
    const seen = await pids(wasgi.url, 6);
    expect(seen.size).toBe(2);
    expect([...seen].sort()).toEqual(wasgi.workers().sort());
    expect(seen.has(wasgi.pid)).toBe(false);
    const environ = JSON.parse(await text(`${wasgi.url}/environ`)) as { multiprocess: boolean };
    expect(environ.multiprocess).toBe(true);
    const exit = await wasgi.stop();
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(problems(exit.stderr)).toBe('');
  });

  it('a promise the application leaves rejected is logged, and the worker goes on', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0']);
    const [worker] = wasgi.workers();
    expect(await text(`${wasgi.url}/reject`)).toBe('rejected');
    await wasgi.waitFor(/nothing handled it \(in the application\); the worker goes on\n[^\n]*left unhandled by the application/);
    expect(await text(`${wasgi.url}/pid`)).toBe(String(worker));
    expect(wasgi.workers()).toEqual([worker]);
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('the start, a SIGTERM stop with its reason and draining time, and each worker\'s exit are logged at info', async () => {
    const wasgi = await start([APP, '-w', '2', '-b', '127.0.0.1:0']);
    const pids = wasgi.workers();
    await wasgi.waitFor(/\[info\] started: listening on http:\/\/127\.0\.0\.1:\d+ with 2 workers \(primary \d+\)/);
    const exit = await wasgi.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/\[info\] SIGTERM: stopping gracefully \(--graceful-timeout 30 s\)/);
    for (const pid of pids) expect(exit.stderr).toMatch(new RegExp(`\\[info\\] worker ${pid} exited with code 0`));
    expect(exit.stderr).toMatch(/\[info\] stopped \(SIGTERM\): the workers drained and exited in \d+\.\d\d s/);
    expect(problems(exit.stderr)).toBe('');
  });

  it('a worker killed with SIGKILL is replaced', async () => {
    const wasgi = await start([APP, '-w', '2', '-b', '127.0.0.1:0']);
    const [victim, survivor] = wasgi.workers();
    process.kill(victim, 'SIGKILL');
    await wasgi.waitFor(new RegExp(`worker ${victim} was killed by SIGKILL`));
    await eventually(() => wasgi.workers().length === 2 && !wasgi.workers().includes(victim), 'a replacement worker');
    const replacement = wasgi.workers().find((pid) => pid !== survivor) as number;
    await eventually(async () => (await pids(wasgi.url, 4)).has(replacement), 'the replacement to serve');
    const seen = await pids(wasgi.url, 6);
    expect(seen).toEqual(new Set([survivor, replacement]));
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('--max-requests recycles a worker, starting its replacement first: no request fails', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0', '--max-requests', '3', '--max-requests-jitter', '1']);
    const first = wasgi.workers()[0];
    const seen: number[] = [];
    // The worker keeps serving until its replacement listens, then stops gracefully.
    await eventually(async () => {
      seen.push(Number(await text(`${wasgi.url}/pid`)));
      return new Set(seen).size >= 3;
    }, 'two recycled workers');
    expect(seen[0]).toBe(first);
    expect(seen.filter((pid) => pid === first).length).toBeGreaterThanOrEqual(3);
    expect(wasgi.stderr).toMatch(new RegExp(`worker ${first} served [34] requests \\(--max-requests\\): replacing it`));
    await eventually(() => !wasgi.workers().includes(first), 'the first worker to exit');
    await eventually(() => wasgi.workers().length === 1, 'one worker once the replacements are done');
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('wsgi.multiprocess follows the number of workers: TTIN, TTOU and HUP agree', async () => {
    const multiprocess = async (url: string): Promise<boolean> => (JSON.parse(await text(`${url}/environ`)) as { multiprocess: boolean }).multiprocess;
    const wasgi = await start([APP, '-b', '127.0.0.1:0']);
    expect(await multiprocess(wasgi.url)).toBe(false);
    wasgi.signal('SIGTTIN');
    await eventually(async () => (await pids(wasgi.url, 4)).size === 2, 'two workers answering');
    await eventually(async () => (await Promise.all([0, 1, 2, 3].map(() => multiprocess(wasgi.url)))).every((m) => m), 'both workers to say true');
    wasgi.signal('SIGTTOU');
    await eventually(() => wasgi.workers().length === 1, 'one worker');
    await eventually(async () => !(await multiprocess(wasgi.url)), 'the last worker to say false');
    wasgi.signal('SIGHUP');
    await wasgi.waitFor(/SIGHUP: reload complete/);
    expect(await multiprocess(wasgi.url)).toBe(false);
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('SIGTTOU right after SIGTTIN stops the worker still booting, not the one serving: nothing is refused', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0']);
    const [serving] = wasgi.workers();
    wasgi.signal('SIGTTIN');
    await eventually(() => wasgi.workers().length === 2, 'a second worker process');
    wasgi.signal('SIGTTOU');
    const failures: string[] = [];
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await request(`${wasgi.url}/pid`).catch((error: Error) => { failures.push(error.message); });
      await sleep(10);
    }
    expect(failures).toEqual([]);
    await eventually(() => wasgi.workers().length === 1, 'one worker');
    expect(wasgi.workers()).toEqual([serving]);
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('SIGTTIN adds a worker and SIGTTOU removes one', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0']);
    expect(wasgi.workers()).toHaveLength(1);
    wasgi.signal('SIGTTIN');
    await wasgi.waitFor(/SIGTTIN: 2 workers/);
    await eventually(async () => (await pids(wasgi.url, 4)).size === 2, 'two workers answering');
    wasgi.signal('SIGTTIN');
    await wasgi.waitFor(/SIGTTIN: 3 workers/);
    await eventually(async () => (await pids(wasgi.url, 6)).size === 3, 'three workers answering');
    expect(wasgi.workers()).toHaveLength(3);
    const environ = JSON.parse(await text(`${wasgi.url}/environ`)) as { multiprocess: boolean };
    expect(typeof environ.multiprocess).toBe('boolean');

    wasgi.signal('SIGTTOU');
    await wasgi.waitFor(/SIGTTOU: 2 workers/);
    await eventually(() => wasgi.workers().length === 2, 'two worker processes');
    wasgi.signal('SIGTTOU');
    await wasgi.waitFor(/SIGTTOU: 1 worker\b/);
    await eventually(() => wasgi.workers().length === 1, 'one worker process');
    expect(await pids(wasgi.url, 4)).toEqual(new Set(wasgi.workers()));
    wasgi.signal('SIGTTOU');
    await wasgi.waitFor(/SIGTTOU: keeping the last worker/);
    expect(wasgi.workers()).toHaveLength(1);
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('SIGHUP re-reads the config file', async () => {
    const config = path.join(tmp, 'reload.config.mjs');
    writeFileSync(config, 'export default { workers: 1 };\n');
    const wasgi = await start(['-c', config, APP, '-b', '127.0.0.1:0']);
    expect(wasgi.workers()).toHaveLength(1);
    writeFileSync(config, 'export default { workers: 2 };\n');
    wasgi.signal('SIGHUP');
    await wasgi.waitFor(/reload complete; 2 workers/);
    await eventually(async () => (await pids(wasgi.url, 4)).size === 2, 'two workers answering');
    // A broken config keeps the running settings.
    writeFileSync(config, 'export default { workers: "many" };\n');
    wasgi.signal('SIGHUP');
    await wasgi.waitFor(/configuration not reloaded: .*workers must be a positive integer, got "many"/);
    await wasgi.waitFor(/reload complete; 2 workers[^]*reload complete; 2 workers/);
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('SIGHUP with an application that no longer imports keeps the running workers', async () => {
    const app = path.join(tmp, 'changing.mjs');
    copyFileSync(APP, app);
    const wasgi = await start([app, '-w', '2', '-b', '127.0.0.1:0']);
    const before = new Set(wasgi.workers());
    writeFileSync(app, 'export const application = ;\n');
    wasgi.signal('SIGHUP');
    await wasgi.waitFor(/could not start: cannot import .*SyntaxError/);
    await wasgi.waitFor(/replacing workers stopped/);
    expect(await pids(wasgi.url, 4)).toEqual(before);
    copyFileSync(APP, app);
    wasgi.signal('SIGHUP');
    await wasgi.waitFor(/reload complete; 2 workers/);
    // A replaced worker may take one more connection until it has seen its SIGTERM.
    await eventually(async () => [...await pids(wasgi.url, 4)].every((pid) => !before.has(pid)), 'only new workers answering');
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('a worker that cannot start before the server is up: one line, the exit code, no worker left', async () => {
    const wasgi = await import('./fixtures/wasgi.js');
    const exit = await wasgi.run(['no/such/module.mjs', '-w', '3', '-b', '127.0.0.1:0']);
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe('');
    expect(exit.stderr).toBe(`wasgi: module not found: ${path.join(ROOT, 'no', 'such', 'module.mjs')}\n`);
  });

  it('SIGUSR1 reopens the log files (after a rotation)', async () => {
    const access = path.join(tmp, 'rotate.log');
    const wasgi = await start([APP, '-w', '2', '-b', '127.0.0.1:0', '--access-logfile', access]);
    await text(`${wasgi.url}/one`);
    await eventually(() => readFileSync(access, 'utf8').includes('/one'), 'the first line');
    renameSync(access, `${access}.1`);
    wasgi.signal('SIGUSR1');
    await wasgi.waitFor(/SIGUSR1: log files reopened/);
    await sleep(200);
    for (let i = 0; i < 4; i++) await text(`${wasgi.url}/two`);
    await eventually(() => {
      try {
        return readFileSync(access, 'utf8').split('\n').filter((l) => l.includes('/two')).length === 4;
      } catch {
        return false;
      }
    }, 'lines in the new file');
    expect(readFileSync(`${access}.1`, 'utf8')).not.toContain('/two');
    expect((await wasgi.stop()).code).toBe(0);
  });
});

// Under load or against deadlines: these run one at a time.
describe('wasgi --workers: signals and deadlines', () => {
  it('SIGHUP under continuous load replaces every worker with no failed request', async () => {
    const wasgi = await start([APP, '-w', '2', '-b', '127.0.0.1:0']);
    const before = new Set(wasgi.workers());
    let finish!: () => void;
    const running = load(`${wasgi.url}/pid`, 4, new Promise<void>((resolve) => { finish = resolve; }));
    await sleep(300);
    wasgi.signal('SIGHUP');
    await wasgi.waitFor(/SIGHUP: reload complete; 2 workers/);
    await sleep(300);
    finish();
    const result = await running;
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(20);
    await eventually(() => wasgi.workers().length === 2, 'the old workers to exit');
    const after = new Set(wasgi.workers());
    for (const pid of after) expect(before.has(pid)).toBe(false);
    // Both generations answered during the run.
    const answered = new Set([...result.bodies.keys()].map(Number));
    expect([...before].some((pid) => answered.has(pid))).toBe(true);
    expect([...after].some((pid) => answered.has(pid))).toBe(true);
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('SIGTERM stops gracefully: a request in flight completes, then the primary exits 0', async () => {
    const wasgi = await start([APP, '-w', '2', '-b', '127.0.0.1:0', '--graceful-timeout', '10']);
    const slow = request(`${wasgi.url}/slow?ms=1500`);
    await sleep(400);
    const started = Date.now();
    const exit = await wasgi.stop('SIGTERM');
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.body).toMatch(/^slow done by \d+$/);
    expect(reply.headers.connection).toBe('close');
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(problems(exit.stderr)).toBe('');
    expect(Date.now() - started).toBeLessThan(9000);
    expect(wasgi.workers()).toEqual([]);
  });

  it('SIGTERM: what has not finished by --graceful-timeout is cut off', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0', '--graceful-timeout', '0.5']);
    const slow = request(`${wasgi.url}/slow?ms=8000`).then(() => 'answered', () => 'failed');
    await sleep(300);
    const started = Date.now();
    expect((await wasgi.stop('SIGTERM')).code).toBe(0);
    expect(await slow).toBe('failed');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('SIGQUIT stops at once, cutting requests in flight', async () => {
    const wasgi = await start([APP, '-w', '2', '-b', '127.0.0.1:0', '--graceful-timeout', '30']);
    const slow = request(`${wasgi.url}/slow?ms=8000`).then(() => 'answered', () => 'failed');
    await sleep(300);
    const started = Date.now();
    const exit = await wasgi.stop('SIGQUIT');
    expect(exit.code).toBe(0);
    expect(await slow).toBe('failed');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('--timeout: a worker that blocks its event loop is killed and replaced', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0', '--timeout', '1']);
    const [blocked] = wasgi.workers();
    const reply = await request(`${wasgi.url}/block?ms=6000`).then(() => 'answered', () => 'failed');
    expect(reply).toBe('failed');
    await wasgi.waitFor(new RegExp(`worker ${blocked} timed out: no heartbeat for [\\d.]+ s \\(--timeout 1\\); killing it`));
    // Connections that arrive before the replacement listens are refused or closed: ask with a
    // short timeout.
    await eventually(async () => {
      const pid = Number(await text(`${wasgi.url}/pid`, { timeoutMs: 1000 }).catch(() => '0'));
      return pid !== 0 && pid !== blocked;
    }, 'a new worker to answer');
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('workers that keep dying: the primary backs off, then gives up with one line and exit 1', async () => {
    const wasgi = await start([path.join(ROOT, 'test', 'fixtures', 'crash.mjs'), '-b', '127.0.0.1:0']);
    const exit = await wasgi.exit;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/exited with code 3/);
    expect(exit.stderr).toMatch(/^wasgi: workers keep dying: 6 in a row within 10 s of starting; giving up$/m);
  });
});
