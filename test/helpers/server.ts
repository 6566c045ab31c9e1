// Starts wasgi servers on port 0 for a test and shuts them down afterwards.

import { afterEach } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { makeServer, type Application, type ServerOptions } from '../../index.js';
import { validator } from '../../src/validate.js';
import { destroyClients, RawClient, sleep } from './net.js';

type Server = Awaited<ReturnType<typeof makeServer>>;

export interface Running {
  server: Server;
  port: number;
  url: string;
  /** Everything written to the error log. */
  logs: string[];
  /** The error log as one string. */
  log(): string;
}

const running: Server[] = [];
/** Logs of servers whose applications run under the validator. */
const validatedLogs: string[][] = [];

/** Registers an afterEach hook in the calling file that shuts down every started server. */
export function useServers(): void {
  afterEach(async () => {
    destroyClients();
    await Promise.all(running.splice(0).map((s) => s.shutdown()));
    // Either side breaking PEP 3333 fails the test, even when the client saw nothing wrong.
    const violations = validatedLogs.splice(0).flat().filter((text) => text.includes('ValidationError'));
    if (violations.length > 0) throw new Error(`PEP 3333 violations:\n${violations.join('')}`);
  });
}

/**
 * Starts `app` on port 0. Applications run under wasgi/validate, so every test also checks that
 * both sides keep PEP 3333; tests of deliberately broken applications pass `validate: false`.
 */
export async function start(app: Application, options: ServerOptions & { validate?: boolean } = {}): Promise<Running> {
  const logs: string[] = [];
  const { validate = true, ...serverOptions } = options;
  const server = await makeServer('127.0.0.1', 0, validate ? validator(app) : app, { errorLog: (text: string) => { logs.push(text); }, ...serverOptions });
  running.push(server);
  if (validate) validatedLogs.push(logs);
  void server.serveForever();
  const port = server.serverAddress[1];
  return { server, port, url: `http://127.0.0.1:${port}`, logs, log: () => logs.join('') };
}

/** Waits until `predicate()` holds, polling; throws with `what` after `timeoutMs`. */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Collects wsgi.input with read() until it returns an empty chunk. */
export async function readAll(input: { read(size?: number): Promise<Uint8Array> }, size?: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (;;) {
    const chunk = await input.read(size);
    if (chunk.length === 0) break;
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

export interface CurlResult {
  stdout: Buffer;
  stderr: string;
}

export function curl(args: string[], input?: Buffer | string): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('curl', args, { encoding: 'buffer', timeout: 10_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr: stderr.toString() }));
      else resolve({ stdout, stderr: stderr.toString() });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** A plain GET on a fresh connection; returns the status and body text. */
export async function healthCheck(port: number, path = '/'): Promise<{ status: number; body: string }> {
  const client = await RawClient.connect(port);
  try {
    await client.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    const [response] = await client.next(1);
    return { status: response?.status ?? 0, body: response?.text ?? '' };
  } finally {
    client.destroy();
  }
}
