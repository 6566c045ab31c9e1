// The error log: rejected requests are logged at debug level with their code and reason, and
// nothing below the configured level reaches the log.

import { describe, expect, it } from 'vitest';
import { application as hello } from '../examples/hello.mjs';
import type { Application } from '../index.js';
import { makeServer } from '../index.js';
import { RawClient } from './helpers/net.js';
import { start, useServers } from './helpers/server.js';

useServers();

async function badRequest(port: number): Promise<number> {
  const client = await RawClient.connect(port);
  await client.write('GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n');
  const [response] = await client.next(1);
  await client.waitClosed();
  return response.status;
}

describe('log levels', () => {
  it('logs each rejected request at debug level, with its status, reason and code', async () => {
    const running = await start(hello as Application, { logLevel: 'debug' });
    expect(await badRequest(running.port)).toBe(400);
    expect(running.log()).toMatch(/\[debug\] 127\.0\.0\.1: 400 Invalid header field name \(code \d+\)/);
  });

  it('keeps debug messages out at the default level', async () => {
    const running = await start(hello as Application);
    expect(await badRequest(running.port)).toBe(400);
    expect(running.log()).toBe('');
  });

  it('refuses an unknown level with a clear error', async () => {
    await expect(makeServer('127.0.0.1', 0, hello as Application, { logLevel: 'loud' as never })).rejects.toThrow(/option logLevel must be one of debug, info, warning, error, critical, got "loud"/);
  });
});
