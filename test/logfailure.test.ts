// Logs that cannot be written: a stdout pipe whose reader went away (EPIPE), a full disk (ENOSPC,
// /dev/full), a closed stderr, a reader that stalls. Serving goes on in every process, the first
// failure of a log is told once, and so is the first write that works again, with the lines lost.

import { afterAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { APP, eventually, killChildren, request, run, start, text, Wasgi, type RequestOptions } from './fixtures/wasgi.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wasgi-logfailure-'));
const others = new Set<ChildProcess>();

afterAll(() => {
  killChildren();
  for (const child of others) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A named pipe in the test directory: a real pipe, as a shell's `|` makes. */
function fifo(name: string): string {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  return file;
}

/** Sends `paths`, `concurrency` at a time, each on a fresh connection; resolves to the statuses by count. */
async function send(url: string, paths: string[], concurrency: number, options: RequestOptions = {}): Promise<Map<number | string, number>> {
  const statuses = new Map<number | string, number>();
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < paths.length) {
      const target = paths[next++];
      let status: number | string;
      try {
        status = (await request(`${url}${target}`, options)).status;
      } catch (error) {
        status = String(error);
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return statuses;
}

const numbered = (prefix: string, n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);

/** The whole lines of `text` (not one still arriving) that match `pattern`. */
function lines(text: string, pattern: RegExp): string[] {
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((line) => pattern.test(line));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('logs never endanger serving', () => {
  it('--access-logfile - into `| head -c 400`: all 1000 requests answered, the same worker, one line on the error log', async () => {
    const pipe = fifo('head');
    const head = spawn('head', ['-c', '400', pipe], { stdio: ['ignore', 'pipe', 'ignore'] });
    others.add(head);
    let shown = '';
    head.stdout!.setEncoding('utf8').on('data', (chunk: string) => { shown += chunk; });
    const headDone = new Promise((resolve) => head.on('close', resolve));
    const writeEnd = await open(pipe, 'w');
    // head holds back what it shows until it has its 400 bytes, the listening line too: the
    // address is a Unix socket known beforehand.
    const socketPath = path.join(dir, 'head.sock');
    const url = 'http://localhost';
    const wasgi = new Wasgi([APP, '-b', `unix:${socketPath}`, '--access-logfile', '-'], { stdout: writeEnd.fd });
    await writeEnd.close();
    await eventually(() => existsSync(socketPath) || wasgi.exited, 'the socket');
    let pid = '';
    await eventually(async () => {
      pid = await text(`${url}/pid`, { socketPath }).catch(() => '');
      return pid !== '';
    }, 'the first answer');

    // The first few lines fill head's 400 bytes; it exits, and every later write is EPIPE.
    expect(await send(url, numbered('/?early=', 10), 2, { socketPath })).toEqual(new Map([[200, 10]]));
    await headDone;
    expect(shown).toMatch(/^wasgi: listening on unix:/);
    expect(shown.length).toBe(400);
    expect(await send(url, numbered('/?n=', 1000), 8, { socketPath })).toEqual(new Map([[200, 1000]]));

    expect(await text(`${url}/pid`, { socketPath })).toBe(pid);
    expect(wasgi.workers()).toEqual([Number(pid)]);
    expect(wasgi.exited).toBe(false);
    expect(alive(wasgi.pid)).toBe(true);
    const reports = lines(wasgi.stderr, /access log/);
    expect(reports, wasgi.stderr).toHaveLength(1);
    expect(reports[0]).toMatch(new RegExp(`\\[error\\] worker ${pid}: access log on stdout: writing failed \\(EPIPE`));
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('--access-logfile on a full disk: served, one failure line; after SIGUSR1 onto a working file, its lines and one recovery line with the count lost', async () => {
    const link = path.join(dir, 'access.log');
    const real = path.join(dir, 'access.real.log');
    symlinkSync('/dev/full', link);
    const wasgi = await start([APP, '-b', '127.0.0.1:0', '--access-logfile', link]);
    expect(await send(wasgi.url, numbered('/before?n=', 20), 2)).toEqual(new Map([[200, 20]]));
    await wasgi.waitFor(/access log \S+: writing failed \(ENOSPC/);

    // logrotate's way: the log's name now leads to a working file, and USR1 reopens it.
    symlinkSync(real, `${link}.new`);
    renameSync(`${link}.new`, link);
    wasgi.signal('SIGUSR1');
    await wasgi.waitFor(/SIGUSR1: log files reopened/);
    // The worker reopens on its own signal: until then its lines still go to the full disk.
    let after = 0;
    await eventually(async () => {
      await text(`${wasgi.url}/after?n=${after++}`);
      return existsSync(real) && readFileSync(real, 'utf8').includes('/after');
    }, 'a line in the working file');
    expect(await send(wasgi.url, numbered('/after?n=', 10, after), 2)).toEqual(new Map([[200, 10]]));
    after += 10;

    await wasgi.waitFor(/access log \S+: writing again; \d+ lines were lost/);
    const lost = Number(/writing again; (\d+) lines were lost/.exec(wasgi.stderr)?.[1]);
    expect(lost).toBeGreaterThanOrEqual(20);
    await eventually(() => readFileSync(real, 'utf8').split('\n').length - 1 === 20 + after - lost, 'every line not lost, in the file');
    const written = readFileSync(real, 'utf8').split('\n').slice(0, -1);
    expect(new Set(written).size).toBe(written.length);
    expect(written.every((line) => line.includes('"GET /after?n='))).toBe(true);
    expect(lines(wasgi.stderr, /access log/), wasgi.stderr).toHaveLength(2);
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('--error-logfile on a full disk: wsgi.errors and application errors go on, stderr tells it once', async () => {
    const wasgi = await start([APP, '-b', '127.0.0.1:0', '--error-logfile', '/dev/full']);
    const pid = await text(`${wasgi.url}/pid`);
    const paths = [...numbered('/errors?n=', 30), ...numbered('/throw?n=', 30)];
    expect(await send(wasgi.url, paths, 4)).toEqual(new Map([[200, 30], [500, 30]]));
    expect(await text(`${wasgi.url}/pid`)).toBe(pid);
    expect(wasgi.exited).toBe(false);
    await wasgi.waitFor(new RegExp(`worker ${pid}: error log`));
    // Once per process: the primary's own start line failed too.
    const lines = wasgi.stderr.split('\n').filter((line) => line !== '').sort();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^wasgi: error log \/dev\/full: writing failed \(ENOSPC/);
    expect(lines[1]).toMatch(new RegExp(`^wasgi: worker ${pid}: error log /dev/full: writing failed \\(ENOSPC`));
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('stderr closed under --error-logfile -: serving and signals go on in the primary and the worker', async () => {
    const pipe = fifo('stderr');
    const readEnd = openSync(pipe, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeEnd = openSync(pipe, constants.O_WRONLY);
    const wasgi = new Wasgi([APP, '-b', '127.0.0.1:0', '--error-logfile', '-'], { stderr: writeEnd });
    closeSync(writeEnd);
    // Nobody reads stderr any more: every write to it is EPIPE.
    closeSync(readEnd);
    await wasgi.waitFor(/^wasgi: listening on /m, 'stdout');
    const pid = await text(`${wasgi.url}/pid`);
    const paths = [...numbered('/errors?n=', 50), ...numbered('/throw?n=', 50)];
    expect(await send(wasgi.url, paths, 4)).toEqual(new Map([[200, 50], [500, 50]]));
    // The primary writes to its error log too.
    wasgi.signal('SIGUSR1');
    wasgi.signal('SIGTTIN');
    await eventually(() => wasgi.workers().length === 2, 'a second worker');
    expect(await send(wasgi.url, paths, 4)).toEqual(new Map([[200, 50], [500, 50]]));
    expect(wasgi.workers()).toContain(Number(pid));
    expect(alive(wasgi.pid)).toBe(true);
    expect((await wasgi.stop()).code).toBe(0);
  });

  it('stderr closed, --error-logfile FILE: the last words go to the file, with one line saying stderr failed', async () => {
    const log = path.join(dir, 'last-words.log');
    const pipe = fifo('last-words');
    const readEnd = openSync(pipe, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeEnd = openSync(pipe, constants.O_WRONLY);
    const exiting = run(['no/such/module.mjs', '-b', '127.0.0.1:0', '--error-logfile', log], { stderr: writeEnd });
    closeSync(writeEnd);
    closeSync(readEnd);
    const exit = await exiting;
    expect(exit.code).toBe(1);
    const written = readFileSync(log, 'utf8');
    expect(written).toMatch(/\[critical\] module not found: /);
    expect(lines(written, /messages on stderr: writing failed \(EPIPE/)).toHaveLength(1);
  });

  it('a stdout reader that stalls: lines wait for it; past the limit they are dropped and counted; then written again, none twice', async () => {
    const pipe = fifo('stall');
    const readEnd = openSync(pipe, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeEnd = openSync(pipe, constants.O_WRONLY);
    const reader = new net.Socket({ fd: readEnd, readable: true, writable: false });
    let shown = '';
    reader.setEncoding('utf8').on('data', (chunk: string) => { shown += chunk; });
    const wasgi = new Wasgi([APP, '-b', '127.0.0.1:0', '--access-logfile', '-', '--access-logformat', '%(r)s %({x-pad}i)s'], { stdout: writeEnd });
    closeSync(writeEnd);
    await eventually(() => /^wasgi: listening on /m.test(shown), 'the listening line');
    const url = (/^wasgi: listening on (\S+)$/m.exec(shown) as RegExpExecArray)[1];
    reader.pause();

    // 4 KB lines: the pipe (64 KiB) and what may wait (1 MiB) hold fewer than 400 of them.
    const pad = { 'X-Pad': 'p'.repeat(4000) };
    expect(await send(url, numbered('/stalled?n=', 400), 4, { headers: pad })).toEqual(new Map([[200, 400]]));
    await wasgi.waitFor(/access log on stdout: writing failed \(the reader is not keeping up/);
    expect(wasgi.exited).toBe(false);

    reader.resume();
    let after = 0;
    await eventually(async () => {
      await text(`${url}/after?n=${after++}`, { headers: pad });
      return /writing again; \d+ lines were lost/.test(wasgi.stderr);
    }, 'the recovery line');
    const lost = Number(/writing again; (\d+) lines were lost/.exec(wasgi.stderr)?.[1]);
    expect(lost).toBeGreaterThan(0);
    await eventually(() => lines(shown, /^GET /).length === 400 + after - lost, 'every line not lost');
    const received = lines(shown, /^GET /);
    expect(new Set(received).size).toBe(received.length);
    expect(received.every((line) => line.endsWith(pad['X-Pad']))).toBe(true);
    expect(lines(wasgi.stderr, /access log/), wasgi.stderr).toHaveLength(2);
    expect((await wasgi.stop()).code).toBe(0);
    reader.destroy();
  });
});
