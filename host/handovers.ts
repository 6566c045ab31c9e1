// Connections handed to a worker that dies before taking them. node:cluster's round-robin primary
// sends each accepted connection to a worker ('newconn') and keeps its own copy until the worker
// answers; a worker that dies first never answers, so in Node 20 the primary holds the connection
// open for ever and its client waits. The primary watches each worker's handovers and, when the
// worker is gone, gives the ones it never answered to another worker, or closes them.

import type { Worker } from 'node:cluster';
import { ackOf, closed, clusterKey, handoverSeq, notAccepted } from './cluster-messages.js';

/** A connection as node:cluster passes it (a native TCP or Pipe handle). */
interface Handle {
  close(): void;
}

type Send = (message: unknown, handle?: unknown, ...rest: unknown[]) => boolean;

/** What became of the connections a dead worker had not taken. */
export interface LostHandovers {
  handedOver: number;
  closed: number;
}

/**
 * Watches the connections handed to `worker`. When it has exited, `othersListening()` tells whether
 * another worker is listening: the connections it never answered are then handed over again (they
 * never reached any application, so any worker may answer them), else closed. `report` hears of
 * each death that left such connections.
 */
export function watchHandovers(worker: Worker, othersListening: () => boolean, report: (lost: LostHandovers) => void): void {
  const child = worker.process;
  const unanswered = new Map<number, Handle>();
  /** The listening sockets (node:cluster's keys) the worker shares. */
  const keys = new Set<string>();
  let exited = false;

  const send = child.send as Send;
  (child as { send: Send }).send = function (this: unknown, message, handle, ...rest) {
    const sent = Reflect.apply(send, this, [message, handle, ...rest]) as boolean;
    const key = clusterKey(message);
    if (key !== null) keys.add(key);
    const seq = handoverSeq(message);
    if (seq !== null && isHandle(handle)) {
      // Until node:cluster lets go of a dead worker it may still hand it connections.
      if (exited) handle.close();
      else unanswered.set(seq, handle);
    }
    return sent;
  };

  child.on('internalMessage', (message: unknown) => {
    const ack = ackOf(message);
    if (ack !== null) unanswered.delete(ack);
  });

  // The worker's 'exit' comes after node:cluster's own bookkeeping of the exit.
  worker.on('exit', () => {
    exited = true;
    if (unanswered.size === 0) return;
    // node:cluster forgets a worker when it has both exited and disconnected, but a channel with a
    // connection still in it never disconnects: tell it the worker's servers are closed (what a
    // worker says when it closes one), so that the round-robin picks it no more.
    for (const key of keys) child.emit('internalMessage', closed(key), undefined);
    // The round-robin takes "not accepted" as from a worker that is shutting down and hands the
    // connection to another; with none listening it would keep it: close it instead.
    const handOver = othersListening();
    const lost = { handedOver: 0, closed: 0 };
    const entries = [...unanswered];
    unanswered.clear();
    for (const [seq, handle] of entries) {
      if (handOver) {
        child.emit('internalMessage', notAccepted(seq), undefined);
        lost.handedOver++;
      } else {
        handle.close();
        lost.closed++;
      }
    }
    report(lost);
  });
}

function isHandle(handle: unknown): handle is Handle {
  return typeof handle === 'object' && handle !== null && typeof (handle as Handle).close === 'function';
}
