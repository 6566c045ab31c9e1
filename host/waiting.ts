// Connections accepted while every connection slot is taken. libuv accepts by itself and Node
// cannot pause a listening handle, so the connections a kernel listen backlog would have held wait
// here instead: bare handles, not one byte read, in arrival order, at most `capacity` of them, each
// for at most `timeout` ms. Nothing is learned from an unread peer, so a client that gives up while
// waiting is found out when its turn comes (its first read is the end) or when it expires.

import type { ConnectionHandle } from '../src/binding/stream.js';

interface Waiter {
  handle: ConnectionHandle;
  /** performance.now() after which it is closed unserved. */
  until: number;
}

export class WaitingRoom {
  private queue: Waiter[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(readonly capacity: number, private readonly timeout: number) {}

  get size(): number {
    return this.queue.length - this.head;
  }

  /** Queues an accepted handle; false when the room is full (or closed). */
  add(handle: ConnectionHandle): boolean {
    if (this.closed || this.size >= this.capacity) return false;
    this.queue.push({ handle, until: performance.now() + this.timeout });
    this.arm();
    return true;
  }

  /** The connection that has waited longest and may still wait; undefined when none. */
  take(): ConnectionHandle | undefined {
    this.expire();
    if (this.size === 0) return undefined;
    const { handle } = this.queue[this.head++];
    this.compact();
    return handle;
  }

  /** Closes every waiting connection; the room takes no more. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (let i = this.head; i < this.queue.length; i++) this.queue[i].handle.close();
    this.queue = [];
    this.head = 0;
  }

  /** Closes, silently, the connections whose time is up: they all wait at the front. */
  private expire(): void {
    const now = performance.now();
    while (this.size > 0 && this.queue[this.head].until <= now) this.queue[this.head++].handle.close();
    this.compact();
  }

  /** One timer, for the front of the queue: it is the first to expire. */
  private arm(): void {
    if (this.timer !== null || this.size === 0) return;
    const wait = Math.max(0, this.queue[this.head].until - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.expire();
      this.arm();
    }, wait + 1);
    this.timer.unref();
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
