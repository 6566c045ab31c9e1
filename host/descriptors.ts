// A worker's connections fit in its file descriptors. Each open or waiting connection holds one;
// a worker that ran out would have libuv close newcomers unanswered (its EMFILE fallback), so a
// worker gives its servers no more connection slots and waiting places than the descriptors it has
// left at start, less a reserve for what the application and the logs open later. Past that,
// newcomers get the server's 503, a clear answer, and one warning at start says so.

import { readdirSync, readFileSync } from 'node:fs';

/** Descriptors left to the application, log files and closing connections. */
const RESERVE = 16;

/** The soft limit on open files and the descriptors open now (Linux's /proc), or null where unknown. */
function descriptors(): { limit: number; open: number } | null {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (line === null || line[1] === 'unlimited') return null;
    return { limit: Number(line[1]), open: readdirSync('/proc/self/fd').length };
  } catch {
    return null;
  }
}

export interface Fit {
  maxConnections: number;
  backlog: number;
  /** Why they were lowered, for one warning; null when they fit. */
  warning: string | null;
}

/**
 * The connection slots and waiting places each of `servers` servers gets so that all of them
 * together stay within the descriptors left, both lowered in proportion.
 */
export function fitToDescriptors(maxConnections: number, backlog: number, servers: number): Fit {
  const fds = descriptors();
  const room = fds === null ? Infinity : Math.floor((fds.limit - fds.open - RESERVE) / servers);
  if (maxConnections + backlog <= room) return { maxConnections, backlog, warning: null };
  const slots = Math.max(1, Math.floor(room * maxConnections / (maxConnections + backlog)));
  const waiting = Math.max(1, room - slots);
  const limit = fds?.limit ?? 0;
  return {
    maxConnections: slots,
    backlog: waiting,
    warning: `ulimit -n ${limit} leaves room for ${Math.max(room, 2)} connections${servers > 1 ? ` per address` : ''}: --max-connections ${slots} and --backlog ${waiting} instead of ${maxConnections} and ${backlog}; newcomers beyond them get 503 (raise the limit for more)`,
  };
}
