// File responses: wsgi.file_wrapper over a path, a descriptor, a FileHandle and an object with
// read(size), and a Node Readable returned as the body, each over a real socket.

import { describe, expect, it } from 'vitest';
import { createReadStream, fstatSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Application, FileSource } from '../index.js';
import { eventually, start, useServers } from './helpers/server.js';

useServers();

const dir = mkdtempSync(path.join(os.tmpdir(), 'wasgi-files-'));
const FILE = path.join(dir, 'data.bin');
const CONTENT = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff));
writeFileSync(FILE, CONTENT);

function serving(source: () => FileSource | Promise<FileSource>): Application {
  return async (environ, startResponse) => {
    const file = await source();
    startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
    return environ['wsgi.file_wrapper'](file, 16384);
  };
}

async function body(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('wsgi.file_wrapper', () => {
  it('a path: the whole file', async () => {
    const server = await start(serving(() => FILE));
    expect((await body(server.url)).equals(CONTENT)).toBe(true);
  });

  it('a file descriptor: the whole file, and the descriptor is closed after', async () => {
    let fd = -1;
    const server = await start(serving(() => (fd = openSync(FILE, 'r'))));
    expect((await body(server.url)).equals(CONTENT)).toBe(true);
    await eventually(() => {
      try {
        fstatSync(fd);
        return false;
      } catch {
        return true;
      }
    }, 'the descriptor to be closed');
  });

  it('a FileHandle: the whole file, and the handle is closed after', async () => {
    let handle: FileHandle | null = null;
    const server = await start(serving(async () => (handle = await open(FILE, 'r'))));
    expect((await body(server.url)).equals(CONTENT)).toBe(true);
    await eventually(() => handle !== null && handle.fd === -1, 'the FileHandle to be closed');
  });

  it('an object with read(size) and close(): blocks until empty, close() once', async () => {
    let closes = 0;
    const server = await start(serving(() => {
      let at = 0;
      return {
        read(size: number) {
          const block = CONTENT.subarray(at, at + size);
          at += block.length;
          return Promise.resolve(block);
        },
        close() { closes++; },
      };
    }));
    expect((await body(server.url)).equals(CONTENT)).toBe(true);
    await eventually(() => closes === 1, 'close()');
  });

  it('a path that does not exist: 500, and the server goes on', async () => {
    const server = await start(serving(() => path.join(dir, 'missing')), { validate: false });
    expect((await fetch(server.url)).status).toBe(500);
    await eventually(() => server.log().includes('ENOENT'), 'the error line');
  });
});

it('an fs.ReadStream returned as the body is served whole', async () => {
  const server = await start((_environ, startResponse) => {
    startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
    return createReadStream(FILE);
  });
  expect((await body(server.url)).equals(CONTENT)).toBe(true);
});
