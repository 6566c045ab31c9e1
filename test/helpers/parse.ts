// Drives the core sans-IO, as the Node host would, over bytes given in pieces: each piece is one
// "read" into the connection's window. Reports the requests the core hands to the application.

import { Core, F_HTTP11, F_KEEP_ALIVE, F_PERCENT, F_HAS_BODY, REC_FLAGS, REC_METHOD, REC_TARGET, REC_PATH, REC_QUERY, REC_FIELD_COUNT, REC_FIELDS, FIELD_WORDS, type Limits } from '../../src/core.js';

export interface ParsedRequest {
  method: string;
  target: string;
  version: '1.0' | '1.1';
  path: string;
  query: string;
  headers: [string, string][];
  body: string;
  keepAlive: boolean;
}

export interface ParseResult {
  requests: ParsedRequest[];
  error?: { status: number; code: number; reason: string };
  closed: boolean;
}

let shared: Core | undefined;

export function parseRequests(input: string, splitAt: number[] = [], limits?: Partial<Limits>): ParseResult {
  const core = limits ? new Core({ maxConnections: 1, ...limits }) : (shared ??= new Core({ maxConnections: 1 }));
  const bytes = Buffer.from(input, 'latin1');
  const cuts = [...new Set(splitAt.filter((n) => n > 0 && n < bytes.length))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let last = 0;
  for (const c of cuts) { pieces.push(bytes.subarray(last, c)); last = c; }
  pieces.push(bytes.subarray(last));

  const conn = core.openConnection();
  let window = core.windowAddress(conn);
  const result: ParseResult = { requests: [], closed: false };
  let readOffset = 0;
  let paused = false;
  let current: ParsedRequest | null = null;
  let body: Buffer[] = [];

  const finish = (): void => {
    if (current === null) return;
    current.body = Buffer.concat(body).toString('latin1');
    result.requests.push(current);
    core.push(core.EV_DONE, conn, current.keepAlive ? 0 : 1);
    current = null;
    body = [];
  };

  const runAll = (): void => {
    while (core.eventCount > 0 && !result.closed) {
      const n = core.run();
      for (let i = 0; i < n; i++) {
        const type = core.actionWord(i, 0);
        const a = core.actionWord(i, 2);
        const b = core.actionWord(i, 3);
        if (type === core.ACT_CALL_APP) {
          current = readRecord(core, conn);
          if (!(core.words[core.recordWord(conn) + REC_FLAGS] & F_HAS_BODY)) finish();
        } else if (type === core.ACT_BODY) {
          body.push(Buffer.from(core.bytes.subarray(a, a + b)));
        } else if (type === core.ACT_BODY_END) {
          if (a === 0) finish();
        } else if (type === core.ACT_ERROR) {
          result.error = { status: core.errorStatuses[a], code: a, reason: core.errorReasons[a] };
          result.closed = true;
        } else if (type === core.ACT_CLOSE) {
          result.closed = true;
        } else if (type === core.ACT_RELEASE) {
          // Every byte was parsed and the window went back to the pool; take one again.
          readOffset = 0;
          paused = false;
          window = core.windowAddress(conn);
        } else if (type === core.ACT_REARM) {
          readOffset = a;
          if (b === 1) paused = false;
        }
      }
    }
  };

  for (const piece of pieces) {
    let at = 0;
    while (at < piece.length && !result.closed) {
      if (paused) throw new Error('core left a full window paused');
      const n = Math.min(piece.length - at, core.windowSize - readOffset);
      piece.copy(core.bytes, window + readOffset, at, at + n);
      at += n;
      readOffset += n;
      core.push(core.EV_READ, conn, readOffset);
      if (readOffset === core.windowSize) paused = true;
      runAll();
    }
    if (result.closed) break;
  }
  if (!result.closed) {
    // Close the connection so the slot is free for the next parse.
    core.push(core.EV_CLOSED, conn, 0);
    core.run();
  } else {
    core.push(core.EV_CLOSED, conn, 0);
    core.run();
  }
  return result;
}

function readRecord(core: Core, conn: number): ParsedRequest {
  const w = core.words;
  const rec = core.recordWord(conn);
  const flags = w[rec + REC_FLAGS];
  const headers: [string, string][] = [];
  for (let i = 0, f = rec + REC_FIELDS; i < w[rec + REC_FIELD_COUNT]; i++, f += FIELD_WORDS) {
    headers.push([core.latin1(w[f + 1], w[f + 2]), core.latin1(w[f + 3], w[f + 4])]);
  }
  return {
    method: core.latin1(w[rec + REC_METHOD], w[rec + REC_METHOD + 1]),
    target: core.latin1(w[rec + REC_TARGET], w[rec + REC_TARGET + 1]),
    version: flags & F_HTTP11 ? '1.1' : '1.0',
    path: flags & F_PERCENT ? core.decodePath(conn) : core.latin1(w[rec + REC_PATH], w[rec + REC_PATH + 1]),
    query: core.latin1(w[rec + REC_QUERY], w[rec + REC_QUERY + 1]),
    headers,
    body: '',
    keepAlive: (flags & F_KEEP_ALIVE) !== 0,
  };
}
