// examples/echo.mjs as a process: Python's selectors echo server on wasgi sockets, under 200
// concurrent clients, each sending several messages and checking the echoes, then closing.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENTS = 200;
const MESSAGES = 5;

let server: ChildProcess;
let port = 0;
let output = '';

beforeAll(async () => {
  server = spawn(process.execPath, ['examples/echo.mjs', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.setEncoding('utf8').on('data', (text: string) => { output += text; });
  let errors = '';
  server.stderr!.setEncoding('utf8').on('data', (text: string) => { errors += text; });
  port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo.mjs did not start: ${output}${errors}`)), 10_000);
    const look = (): void => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    server.stdout!.on('data', look);
    server.once('exit', (code) => reject(new Error(`echo.mjs exited (${code}): ${output}${errors}`)));
  });
});

afterAll(async () => {
  if (server.exitCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
});

/** Waits until the server's log holds `n` lines matching `pattern`. */
async function logged(pattern: RegExp, n: number, ms = 10_000): Promise<number> {
  const until = Date.now() + ms;
  for (;;) {
    const count = output.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;
    if (count >= n || Date.now() > until) return count;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A client that sends messages one at a time and collects each echo whole. */
async function client(id: number): Promise<string[]> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let buffered = '';
  let wake: (() => void) | null = null;
  socket.setEncoding('latin1').on('data', (text: string) => {
    buffered += text;
    wake?.();
  });
  const echoes: string[] = [];
  for (let m = 0; m < MESSAGES; m++) {
    const message = `client ${id} message ${m} ${'.'.repeat((id * 7 + m * 131) % 900)}|`;
    socket.write(message);
    while (buffered.length < message.length) await new Promise<void>((resolve) => { wake = resolve; });
    echoes.push(buffered.slice(0, message.length));
    buffered = buffered.slice(message.length);
  }
  socket.end();
  await once(socket, 'close');
  return echoes;
}

describe('examples/echo.mjs', () => {
  it('prints where it listens, like the Python original prints what it does', () => {
    expect(port).toBeGreaterThan(0);
  });

  it(`echoes ${MESSAGES} messages for each of ${CLIENTS} concurrent clients, and closes after them`, async () => {
    const results = await Promise.all(Array.from({ length: CLIENTS }, (_, id) => client(id)));
    results.forEach((echoes, id) => {
      expect(echoes).toEqual(Array.from({ length: MESSAGES }, (_, m) => `client ${id} message ${m} ${'.'.repeat((id * 7 + m * 131) % 900)}|`));
    });
    expect(await logged(/^accepted <socket\.socket fd=\d+, family=2, type=1, proto=0, laddr=\('127\.0\.0\.1', \d+\), raddr=.*> from \[ '127\.0\.0\.1', \d+ \]$/, CLIENTS)).toBe(CLIENTS);
    expect(await logged(/^closing <socket\.socket fd=\d+/, CLIENTS)).toBe(CLIENTS);
    expect(output).toMatch(/^echoing b'client 0 message 0 \|' to <socket\.socket fd=\d+/m);
    expect(server.exitCode).toBeNull();
  });

  it('keeps serving after clients that close at once or mid-message', async () => {
    const before = await logged(/^closing /, 0);
    const quick = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      if (i % 2 === 0) socket.end('partial message without waiting');
      else socket.end();
      socket.resume();
      await once(socket, 'close');
    }));
    expect(quick).toHaveLength(20);
    expect(await logged(/^closing /, before + 20)).toBe(before + 20);
    expect(await client(9999)).toHaveLength(MESSAGES);
  });
});
