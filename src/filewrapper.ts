// wsgi.file_wrapper: turns an object with read(size) (and optionally close()) into a response
// body that is read block by block.

import type { FileLike, ResponseBody, Chunk } from './types.js';

export function fileWrapper(file: FileLike, blockSize = 8192): ResponseBody {
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<Chunk> {
      for (;;) {
        const block = await file.read(blockSize);
        if (block === undefined || block === null || block.length === 0) return;
        yield block;
      }
    },
    close(): unknown {
      return file.close?.();
    },
  };
}
