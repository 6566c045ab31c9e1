// The few WASI preview1 functions the core may import, supplied by the Node host itself. The core
// is built with @assemblyscript/wasi-shim, which routes AssemblyScript's abort, trace and seed
// through wasi_snapshot_preview1: abort writes "abort: <message> in <file>(<line>:<column>)" to
// fd 2 and calls proc_exit(255). The core is a library, not a program, so proc_exit here throws:
// an abort ends as a CoreExit out of the export that aborted, and the process goes on. (node:wasi
// would want a command or reactor with preopens, and its proc_exit ends the process.)

import { randomFillSync } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { WasmImports, WasmMemory } from './wasm.js';

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;

/** The core called proc_exit: an abort (status 255) or an explicit exit. The instance is dead. */
export class CoreExit extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'CoreExit';
  }
}

/** Where the core's writes to fd 1 and 2 go: by default the process's stdout and stderr. */
export type CoreWrite = (fd: number, bytes: Uint8Array) => void;

/**
 * `wasi_snapshot_preview1` for the core: fd_write (fds 1 and 2 only), proc_exit (throws a
 * CoreExit whose message is the last line written to fd 2) and random_get. `memory` is read at
 * each call, since the imports exist before the instance does.
 */
export function wasiImports(memory: () => WasmMemory, write: CoreWrite = writeSync): WasmImports {
  let stderrTail = ''; // the end of what fd 2 received, for proc_exit's message
  return {
    wasi_snapshot_preview1: {
      fd_write(fd: number, iovs: number, iovsLength: number, written: number): number {
        if (fd !== 1 && fd !== 2) return ERRNO_BADF;
        const buffer = memory().buffer;
        const words = new DataView(buffer);
        const parts: Uint8Array[] = [];
        let total = 0;
        for (let i = 0; i < iovsLength; i++) {
          const at = words.getUint32(iovs + i * 8, true);
          const length = words.getUint32(iovs + i * 8 + 4, true);
          parts.push(new Uint8Array(buffer, at, length));
          total += length;
        }
        const bytes = Buffer.concat(parts, total);
        if (fd === 2) stderrTail = (stderrTail + bytes.toString('utf8')).slice(-1024);
        write(fd, bytes);
        words.setUint32(written, total, true);
        return ERRNO_SUCCESS;
      },
      proc_exit(status: number): never {
        const lastLine = stderrTail.trimEnd().split('\n').pop();
        throw new CoreExit(status, `wasgi core: ${lastLine || `exited with status ${status}`}`);
      },
      random_get(at: number, length: number): number {
        randomFillSync(new Uint8Array(memory().buffer, at, length));
        return ERRNO_SUCCESS;
      },
    },
  };
}
