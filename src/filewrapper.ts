// wsgi.file_wrapper: a response body read block by block from a file, given as a path, a file
// descriptor, a FileHandle, or any object with read(size) (and optionally close()). What the
// wrapper opened (a path) or was handed (a descriptor, a FileHandle) it closes when the response
// is done; an object's own close() is called as PEP 3333 says. A regular file opened from its path
// is read from its start, so its size is the body's length: the head carries it as Content-Length
// when the application set none (a descriptor or a handle is read from wherever it stands).

import { open, type FileHandle } from 'node:fs/promises';
import { read as readFd, close as closeFd } from 'node:fs';
import { promisify } from 'node:util';
import type { Chunk, FileLike, FileSource, ResponseBody } from './types.js';

const readFromFd = promisify(readFd);
const closeFdAsync = promisify(closeFd);

/** A body's length in bytes when it is known before its first chunk (response.ts reads it), else absent. */
export const BODY_LENGTH: unique symbol = Symbol('wasgi: body length');

/** One block of a file: empty (or nothing) at its end. */
type Block = Uint8Array | string | null | undefined;

/** What the wrapper reads from: blocks until an empty one, then closed once. */
interface Blocks {
  read(size: number): Promise<Block> | Block;
  close(): unknown;
  /** The bytes that reading will give, when known (a regular file read from its start). */
  length?(): Promise<number | undefined>;
  /** Reads may run one block ahead of the writes (files: yes; an application's object: no). */
  readAhead: boolean;
}

function isFileHandle(file: object): file is FileHandle {
  const f = file as Partial<FileHandle>;
  return typeof f.fd === 'number' && typeof f.stat === 'function' && typeof f.close === 'function' && typeof f.read === 'function';
}

async function readHandle(handle: FileHandle, size: number): Promise<Uint8Array> {
  const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(size), 0, size, null);
  return buffer.subarray(0, bytesRead);
}

function blocksOf(file: FileSource): Blocks {
  if (typeof file === 'string') {
    let handle: Promise<FileHandle> | null = null;
    const opened = (): Promise<FileHandle> => (handle ??= open(file, 'r'));
    return {
      read: async (size) => readHandle(await opened(), size),
      close: async () => { if (handle !== null) await (await handle).close(); },
      length: async () => {
        const stat = await (await opened()).stat();
        return stat.isFile() ? stat.size : undefined;
      },
      readAhead: true,
    };
  }
  if (typeof file === 'number') {
    return {
      read: async (size) => {
        const { bytesRead, buffer } = await readFromFd(file, Buffer.allocUnsafe(size), 0, size, null);
        return buffer.subarray(0, bytesRead);
      },
      close: () => closeFdAsync(file),
      readAhead: true,
    };
  }
  if (isFileHandle(file)) return { read: (size) => readHandle(file, size), close: () => file.close(), readAhead: true };
  const like: FileLike = file;
  return { read: (size) => like.read(size), close: () => like.close?.(), readAhead: false };
}

export function fileWrapper(file: FileSource, blockSize = 65536): ResponseBody {
  if (!Number.isInteger(blockSize) || blockSize <= 0) throw new RangeError(`wsgi.file_wrapper: blockSize must be a positive whole number, got ${blockSize}`);
  const blocks = blocksOf(file);
  /** A file's next block, read while the one before is written; null until one is started again. */
  let ahead: Promise<Block> | null = null;
  const body = {
    [BODY_LENGTH]: undefined as number | undefined,
    async *[Symbol.asyncIterator](): AsyncGenerator<Chunk> {
      // Known before the first block, so the head that goes with it can say it.
      if (blocks.length !== undefined) body[BODY_LENGTH] = await blocks.length();
      for (;;) {
        const block = await (ahead ?? blocks.read(blockSize));
        ahead = null;
        if (block === undefined || block === null || block.length === 0) return;
        // One block ahead, no more: the server asks for the next only once the socket has drained.
        // An application's own object is read only when asked.
        if (blocks.readAhead) {
          ahead = Promise.resolve(blocks.read(blockSize));
          // Its failure is met when the block is asked for (or not at all, when the response ends first).
          ahead.catch(() => {});
        }
        yield block;
      }
    },
    close(): unknown {
      // A read still running finishes before its file is closed (a closed descriptor's number may
      // be another file's by then); its block is not wanted.
      if (ahead === null) return blocks.close();
      return ahead.then(() => blocks.close(), () => blocks.close());
    },
  };
  return body;
}
