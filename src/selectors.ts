// Python's selectors module over wasgi sockets. Readiness comes from the shared core loop (a
// READABLE action, a queued connection, a drained write); select() resolves a Promise instead of
// blocking. Level-triggered like epoll: a key stays a candidate while it is ready, and a socket
// whose readiness may have changed wakes every selector watching it.

import { inspect } from 'node:util';
import { _poller, type Watcher } from './socket.js';
import { OSError, ValueError } from './oserror.js';

export { ValueError } from './oserror.js';

export const EVENT_READ = 1;
export const EVENT_WRITE = 2;

/** A file number, or an object with fileno() (a wasgi Socket). */
export type FileObj = number | { fileno(): number };

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

export class RuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** What register() returns and select() reports (Python's namedtuple, frozen). */
export class SelectorKey<T = unknown> {
  constructor(readonly fileobj: FileObj, readonly fd: number, readonly events: number, readonly data: T) {
    Object.freeze(this);
  }
}

function repr(value: unknown): string {
  return typeof value === 'object' && value !== null ? inspect(value, { depth: 0, breakLength: Infinity }) : String(value);
}

/** Python's _fileobj_to_fd. */
function fileobjToFd(fileobj: FileObj): number {
  let fd: number;
  if (typeof fileobj === 'number') fd = fileobj;
  else if (typeof fileobj === 'object' && fileobj !== null && typeof fileobj.fileno === 'function') fd = fileobj.fileno();
  else throw new ValueError(`Invalid file object: ${repr(fileobj)}`);
  if (!Number.isInteger(fd)) throw new ValueError(`Invalid file object: ${repr(fileobj)}`);
  if (fd < 0) throw new ValueError(`Invalid file descriptor: ${fd}`);
  return fd;
}

function checkEvents(events: number): void {
  if (!Number.isInteger(events) || events === 0 || (events & ~(EVENT_READ | EVENT_WRITE)) !== 0) {
    throw new ValueError(`Invalid events: ${repr(events)}`);
  }
}

export abstract class BaseSelector<T = unknown> {
  abstract register(fileobj: FileObj, events: number, data?: T): SelectorKey<T>;
  abstract unregister(fileobj: FileObj): SelectorKey<T>;

  /** Changes a key's events or data (data defaults to undefined, as Python's to None). */
  modify(fileobj: FileObj, events: number, data?: T): SelectorKey<T> {
    this.unregister(fileobj);
    return this.register(fileobj, events, data);
  }

  /**
   * The ready keys with their ready events. Resolves as soon as something is ready; with a
   * timeout (seconds) resolves [] when it passes; 0 or less polls; none waits indefinitely.
   */
  abstract select(timeout?: number | null): Promise<[SelectorKey<T>, number][]>;

  close(): void {}

  getKey(fileobj: FileObj): SelectorKey<T> {
    const key = this.getMap().get(fileobj);
    if (key === undefined) throw new KeyError(`${repr(fileobj)} is not registered`);
    return key;
  }

  /** Registered file objects to their keys; get() and has() also take file numbers. */
  abstract getMap(): ReadonlyMap<FileObj, SelectorKey<T>>;

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A live, read-only view of a selector's keys (Python's _SelectorMapping). */
class SelectorMapping<T> implements ReadonlyMap<FileObj, SelectorKey<T>> {
  constructor(private readonly byObj: Map<FileObj, SelectorKey<T>>, private readonly byFd: Map<number, SelectorKey<T>>) {}

  get size(): number {
    return this.byObj.size;
  }

  get(fileobj: FileObj): SelectorKey<T> | undefined {
    const key = this.byObj.get(fileobj);
    if (key !== undefined) return key;
    try {
      return this.byFd.get(fileobjToFd(fileobj));
    } catch {
      return undefined;
    }
  }

  has(fileobj: FileObj): boolean {
    return this.get(fileobj) !== undefined;
  }

  forEach(callback: (key: SelectorKey<T>, fileobj: FileObj, map: ReadonlyMap<FileObj, SelectorKey<T>>) => void, thisArg?: unknown): void {
    for (const [fileobj, key] of this.byObj) callback.call(thisArg, key, fileobj, this);
  }

  entries(): ReturnType<Map<FileObj, SelectorKey<T>>['entries']> {
    return this.byObj.entries();
  }

  keys(): ReturnType<Map<FileObj, SelectorKey<T>>['keys']> {
    return this.byObj.keys();
  }

  values(): ReturnType<Map<FileObj, SelectorKey<T>>['values']> {
    return this.byObj.values();
  }

  [Symbol.iterator](): ReturnType<Map<FileObj, SelectorKey<T>>['entries']> {
    return this.byObj.entries();
  }
}

interface Pending<T> {
  resolve(ready: [SelectorKey<T>, number][]): void;
  timer: NodeJS.Timeout | null;
}

/** The selector over wasgi sockets (the only one: there is no choice of OS mechanism). */
export class DefaultSelector<T = unknown> extends BaseSelector<T> {
  readonly #byFd = new Map<number, SelectorKey<T>>();
  readonly #byObj = new Map<FileObj, SelectorKey<T>>();
  readonly #map = new SelectorMapping(this.#byObj, this.#byFd);
  /** Keys that may be ready: registered, woken, or ready at the last look. */
  readonly #candidates = new Set<number>();
  readonly #watcher: Watcher = { wake: (fd) => this.#wake(fd) };
  #pending: Pending<T> | null = null;
  #checkQueued = false;
  #closed = false;

  register(fileobj: FileObj, events: number, data?: T): SelectorKey<T> {
    this.#open();
    checkEvents(events);
    const fd = this.#lookup(fileobj);
    if (this.#byFd.has(fd)) throw new KeyError(`${repr(fileobj)} (FD ${fd}) is already registered`);
    // Like epoll_ctl on a descriptor that is not open.
    if (!_poller.watch(fd, this.#watcher)) throw new OSError(9, 'Bad file descriptor');
    const key = new SelectorKey(fileobj, fd, events, data as T);
    this.#byFd.set(fd, key);
    this.#byObj.set(fileobj, key);
    this.#wake(fd);
    return key;
  }

  unregister(fileobj: FileObj): SelectorKey<T> {
    const key = this.#key(fileobj);
    this.#byFd.delete(key.fd);
    this.#byObj.delete(key.fileobj);
    this.#candidates.delete(key.fd);
    _poller.unwatch(key.fd, this.#watcher);
    return key;
  }

  override modify(fileobj: FileObj, events: number, data?: T): SelectorKey<T> {
    this.#open();
    const old = this.#key(fileobj);
    if (events !== old.events) checkEvents(events);
    else if (data === old.data) return old;
    const key = new SelectorKey(old.fileobj, old.fd, events, data as T);
    this.#byFd.set(key.fd, key);
    this.#byObj.set(key.fileobj, key);
    this.#wake(key.fd);
    return key;
  }

  select(timeout?: number | null): Promise<[SelectorKey<T>, number][]> {
    this.#open();
    if (this.#pending !== null) throw new RuntimeError('select() is already waiting on this selector');
    const ready = this.#collect();
    if (ready.length > 0 || (timeout != null && timeout <= 0)) return Promise.resolve(ready);
    return new Promise((resolve) => {
      // setTimeout holds at most 2^31 - 1 ms (24.8 days).
      const timer = timeout == null ? null : setTimeout(() => this.#finish(this.#collect()), Math.min(timeout * 1000, 0x7fffffff));
      this.#pending = { resolve, timer };
    });
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const fd of this.#byFd.keys()) _poller.unwatch(fd, this.#watcher);
    this.#byFd.clear();
    this.#byObj.clear();
    this.#candidates.clear();
    this.#finish([]);
  }

  getMap(): ReadonlyMap<FileObj, SelectorKey<T>> {
    if (this.#closed) throw new RuntimeError('Selector is closed');
    return this.#map;
  }

  #open(): void {
    if (this.#closed) throw new ValueError('I/O operation on closed selector');
  }

  /** Python's _fileobj_lookup: the fd, or, for a closed socket, the one it was registered with. */
  #lookup(fileobj: FileObj): number {
    const key = this.#byObj.get(fileobj);
    return key !== undefined ? key.fd : fileobjToFd(fileobj);
  }

  #key(fileobj: FileObj): SelectorKey<T> {
    const key = this.#byFd.get(this.#lookup(fileobj));
    if (key === undefined) throw new KeyError(`${repr(fileobj)} is not registered`);
    return key;
  }

  #collect(): [SelectorKey<T>, number][] {
    const ready: [SelectorKey<T>, number][] = [];
    for (const fd of this.#candidates) {
      const key = this.#byFd.get(fd);
      const events = key === undefined ? 0 : _poller.ready(fd) & key.events;
      if (key !== undefined && events !== 0) ready.push([key, events]);
      else this.#candidates.delete(fd);
    }
    return ready;
  }

  /** A socket's readiness may have changed; a waiting select() looks once the current turn's work is done. */
  #wake(fd: number): void {
    if (!this.#byFd.has(fd)) return;
    this.#candidates.add(fd);
    if (this.#pending === null || this.#checkQueued) return;
    this.#checkQueued = true;
    queueMicrotask(() => {
      this.#checkQueued = false;
      if (this.#pending === null) return;
      const ready = this.#collect();
      if (ready.length > 0) this.#finish(ready);
    });
  }

  #finish(ready: [SelectorKey<T>, number][]): void {
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    if (pending.timer !== null) clearTimeout(pending.timer);
    pending.resolve(ready);
  }
}
