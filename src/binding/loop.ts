// The event loop shared by everything that runs on the core: events queued from socket callbacks
// are handed to the core in one run() per event-loop turn (setImmediate), and the actions it
// answers with go to the owner's handler. Writes are corked while a flush runs and uncorked once
// at its end, so the responses of one turn leave in one write per socket.

import { Core, type Limits } from '../core.js';
import { dispatch, type Actions } from '../actions.js';

export interface LoopHandler<T> extends Actions<T> {
  /** Called after each run's actions (the HTTP server calls the applications queued there). */
  afterActions(): void;
}

/** Where an event queued at most once per run stands, so that later calls in that run update its argument. */
export interface Coalesced {
  eventBatch: number;
  eventIndex: number;
}

/** Something whose writes the loop uncorks. */
export interface Corked {
  uncork(): void;
}

export class CoreLoop<T = unknown> {
  readonly core: Core;
  /** Increases with every run; a connection's READ event is coalesced within one batch. */
  batch = 0;
  private flushScheduled = false;
  private flushing = false;
  private uncorkQueued = false;
  private readonly corked: Corked[] = [];
  private clock = 0;
  private clockAt = -1;

  private ticker: NodeJS.Timeout | null = null;

  constructor(limits: Partial<Limits>, private readonly handler: LoopHandler<T>) {
    this.core = new Core(limits);
  }

  /**
   * Starts the tick that expires deadlines: every 1/20 of the shortest timeout (at least 25 ms,
   * at most 1 s), so a deadline is kept to within 5% (5 s of keep-alive: 5.0 to 5.25 s).
   */
  startTicking(): void {
    if (this.ticker) return;
    const l = this.core.limits;
    const every = Math.max(25, Math.min(1000, Math.min(l.headerTimeout, l.keepAliveTimeout, l.bodyTimeout) / 20));
    this.ticker = setInterval(() => this.queue(this.core.EV_TICK, 0, 0), every);
    this.ticker.unref();
  }

  stopTicking(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  queue(type: number, conn: number, arg: number): number {
    if (this.core.eventCount >= this.core.eventCapacity) throw new Error('wasgi: event queue overflow');
    const index = this.core.push(type, conn, arg);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
    return index;
  }

  /**
   * Queues an event whose argument supersedes the last (a read's new fill, how many wait), once
   * per run: when `at` queued it in this run already, only its argument changes.
   */
  queueLatest(at: Coalesced, type: number, conn: number, arg: number): void {
    if (at.eventBatch === this.batch) {
      this.core.setEventArg(at.eventIndex, arg);
    } else {
      at.eventBatch = this.batch;
      at.eventIndex = this.queue(type, conn, arg);
    }
  }

  /** Runs the core over every queued event and takes its actions, until no event is left. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    this.flushing = true;
    const core = this.core;
    const now = performance.now();
    try {
      while (core.eventCount > 0) {
        this.batch++;
        dispatch(core, core.run(now), this.handler);
        this.handler.afterActions();
      }
    } finally {
      this.batch++;
      this.flushing = false;
      this.uncorkAll();
    }
  };

  /** Writes made outside a flush (async applications) are gathered until a microtask. */
  uncorkLater(stream: Corked): void {
    this.corked.push(stream);
    if (!this.flushing && !this.uncorkQueued) {
      this.uncorkQueued = true;
      queueMicrotask(this.uncorkAll);
    }
  }

  readonly uncorkAll = (): void => {
    this.uncorkQueued = false;
    for (const stream of this.corked) stream.uncork();
    this.corked.length = 0;
  };

  /** Seconds since the epoch, read from the clock at most once per batch. */
  now(): number {
    if (this.clockAt !== this.batch) {
      this.clockAt = this.batch;
      this.clock = Math.floor(Date.now() / 1000);
    }
    return this.clock;
  }
}
