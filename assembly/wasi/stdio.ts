// The command's stdin and stdout, through the only three WASI preview1 calls it makes.

import { fd_read, fd_write, proc_exit } from "bindings/wasi_snapshot_preview1";

// @ts-ignore: decorator
@lazy const io: usize = memory.data(16); // iovec (buf, len), then the count read or written

/** Reads stdin into `at`; returns the byte count, 0 at EOF (or on a read error). */
export function read(at: usize, len: i32): i32 {
  while (true) {
    store<u32>(io, <u32>at);
    store<u32>(io, <u32>len, 4);
    const err = fd_read(0, io, 1, io + 8);
    if (err == 0) return <i32>load<u32>(io, 8);
    if (err != 6 && err != 27) return 0; // retried: EAGAIN, EINTR
  }
}

/** Writes `len` bytes from `p` to stdout, whole; a failed write ends the command (status 2). */
export function write(p: usize, len: i32): void {
  while (len > 0) {
    store<u32>(io, <u32>p);
    store<u32>(io, <u32>len, 4);
    if (fd_write(1, io, 1, io + 8) != 0) proc_exit(2);
    const w = load<u32>(io, 8);
    p += w;
    len -= <i32>w;
  }
}

export function exit(status: u32): void { proc_exit(status); }
