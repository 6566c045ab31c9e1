// File responses: wsgi.file_wrapper over a path, a descriptor, a FileHandle and an object with
// read(size), and a Node Readable returned as the body, each over a real socket.

import { describe, expect, it } from 'vitest';
import { createReadStream, fstatSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Application, FileSource } from '../index.js';
import { exchange, RawClient, sleep } from './helpers/net.js';
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

  it('a path: the head says its size as Content-Length (GET and HEAD), an empty file too', async () => {
    const EMPTY = path.join(dir, 'empty.bin');
    writeFileSync(EMPTY, '');
    const server = await start((environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
      return environ['wsgi.file_wrapper'](environ.PATH_INFO === '/empty' ? EMPTY : FILE);
    });
    const get = await fetch(server.url);
    expect(get.headers.get('content-length')).toBe(String(CONTENT.length));
    expect(get.headers.get('transfer-encoding')).toBeNull();
    expect(Buffer.from(await get.arrayBuffer()).equals(CONTENT)).toBe(true);
    const { responses } = await exchange(server.port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n', { methods: ['HEAD'] });
    expect(responses[0].headers).toContainEqual(['Content-Length', String(CONTENT.length)]);
    expect(responses[0].body.length).toBe(0);
    const empty = await fetch(`${server.url}/empty`);
    expect(empty.headers.get('content-length')).toBe('0');
    expect((await empty.arrayBuffer()).byteLength).toBe(0);
  });

  it("the application's own Content-Length is kept; a descriptor (read from where it stands) is sent chunked", async () => {
    const server = await start((environ, startResponse) => {
      const own = environ.PATH_INFO === '/own';
      startResponse('200 OK', [['Content-Type', 'application/octet-stream'], ...(own ? [['Content-Length', String(CONTENT.length)] as [string, string]] : [])]);
      return environ['wsgi.file_wrapper'](own ? FILE : openSync(FILE, 'r'));
    });
    const own = await fetch(`${server.url}/own`);
    expect(own.headers.get('content-length')).toBe(String(CONTENT.length));
    expect(Buffer.from(await own.arrayBuffer()).equals(CONTENT)).toBe(true);
    const fd = await fetch(`${server.url}/fd`);
    expect(fd.headers.get('transfer-encoding')).toBe('chunked');
    expect(Buffer.from(await fd.arrayBuffer()).equals(CONTENT)).toBe(true);
  });

  it('a client that reads slowly does not make the server buffer the file', async () => {
    const BIG = path.join(dir, 'big.bin');
    writeFileSync(BIG, Buffer.alloc(64 * 1024 * 1024, 7));
    let blocks = 0;
    const server = await start((environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
      const body = environ['wsgi.file_wrapper'](BIG);
      // Count the blocks read from the file.
      return {
        async *[Symbol.asyncIterator]() {
          for await (const block of body as AsyncIterable<Uint8Array>) {
            blocks++;
            yield block;
          }
        },
        close: () => (body as { close(): unknown }).close(),
      };
    });
    const client = await RawClient.connect(server.port);
    client.socket.pause();
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(500);
    // What the kernel's buffers hold (a few MB on loopback) plus a block or two: not 64 MB.
    const read = blocks * 65536;
    expect(read).toBeLessThan(16 * 1024 * 1024);
    await sleep(300);
    expect(blocks * 65536).toBe(read);
    client.destroy();
  });

  it('a client that leaves mid-file: the descriptor is closed once its read ahead has finished, and the server goes on', async () => {
    const BIG = path.join(dir, 'leave.bin');
    writeFileSync(BIG, Buffer.alloc(32 * 1024 * 1024, 3));
    const fds: number[] = [];
    const server = await start(serving(() => {
      const fd = openSync(BIG, 'r');
      fds.push(fd);
      return fd;
    }));
    for (let i = 0; i < 3; i++) {
      const client = await RawClient.connect(server.port);
      await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await client.waitFor(() => client.data.length > 1024 * 1024);
      client.destroy();
    }
    await eventually(() => fds.every((fd) => {
      try {
        fstatSync(fd);
        return false;
      } catch {
        return true;
      }
    }), 'every descriptor to be closed');
    expect((await body(server.url)).length).toBe(32 * 1024 * 1024);
    expect(server.log()).toBe('');
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
