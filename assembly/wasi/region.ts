// A bump region above the core's layout, for what the WASI builds keep beyond the core's own
// memory (copies of requests, the command's output buffer, the component's results): the core
// lays itself out once from __heap_base and the stub runtime has no `new` to lean on.
//
// The region grows the memory itself, but it is not the only one that may: under the preview1
// component adapter (jco new --wasi-command) the adapter takes a page of its own with memory.grow
// at the first WASI call. So the region owns only the pages it grew (up to `limit`); when the
// memory has grown past that behind its back, it starts a new segment at the memory's end.

let top: usize = 0;
let limit: usize = 0;
let segment: usize = 0;

// @ts-ignore: decorator
@inline export function alignUp(n: usize, to: usize): usize {
  return (n + to - 1) & ~(to - 1);
}

/** Starts the region at `at`, which must lie inside the memory as it is now. */
export function startRegion(at: usize): void {
  segment = at;
  top = at;
  limit = <usize>memory.size() << 16;
}

/** Allocates `size` bytes aligned to `align` (a power of two, at most 64 KiB) in the region. */
export function alloc(size: usize, align: usize): usize {
  let p = alignUp(top, align);
  if (p + size > limit) {
    const end = <usize>memory.size() << 16;
    if (end != limit) {
      // Someone else grew the memory since: what lies between is theirs.
      segment = end;
      limit = end;
      p = end;
    }
    const pages = <i32>((p + size - limit + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) unreachable();
    limit += <usize>pages << 16;
  }
  top = p + size;
  return p;
}

/** Where the region's next allocation starts; `release(mark)` frees everything after it. */
export function mark(): usize { return top; }
export function release(to: usize): void { top = to >= segment ? to : segment; }
