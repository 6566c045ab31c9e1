// Connections the kernel drops on their way to a worker out of file descriptors. The primary hands
// each connection over IPC; when the worker has no descriptor free the kernel drops it
// (MSG_CTRUNC) and Node tells the primary NODE_HANDLE_NACK, but in Node 20 nothing answers the
// round-robin 'newconn' message, so the primary never hands this worker another connection and
// keeps every later one until it runs out of descriptors itself. The worker answers it here.

import type { ErrorLog } from '../src/errors.js';
import { handoverSeq, notAccepted, withHandle } from './cluster-messages.js';

/** How long a worker out of file descriptors waits before a dropped handover is tried again. */
const HANDOVER_RETRY_MS = 250;

/**
 * Answers each handover whose connection did not arrive "not accepted", after a pause: the primary
 * still holds the connection and hands it over again (to another worker, or to this one once
 * descriptors are free). One line on `log` when it starts, one when it ends.
 */
export function retryDroppedHandovers(log: ErrorLog): void {
  let lost = 0;
  let since = 0;
  process.on('internalMessage', (message: unknown, handle: unknown) => {
    const seq = handoverSeq(withHandle(message));
    if (seq === null) return;
    if (handle !== null && handle !== undefined) {
      if (lost > 0) log.log('info', `worker ${process.pid} has file descriptors again: accepting connections (${lost} handovers retried over ${((Date.now() - since) / 1000).toFixed(1)} s)`);
      lost = 0;
      return;
    }
    if (lost++ === 0) {
      since = Date.now();
      log.log('error', `worker ${process.pid} is out of file descriptors (see ulimit -n): a connection it was handed did not arrive; the primary keeps it and hands it over again every ${HANDOVER_RETRY_MS} ms`);
    }
    setTimeout(() => {
      if (process.connected && process.send !== undefined) process.send(notAccepted(seq));
    }, HANDOVER_RETRY_MS);
  });
}
