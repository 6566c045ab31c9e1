// Drives the core sans-IO over bytes given in pieces, each piece one read into the connection's
// window (src/memory-connection.ts). Reports the requests the core hands to the application.

import { Core, F_HTTP11, F_KEEP_ALIVE, F_HAS_BODY, type Limits } from '../../src/core.js';
import { MemoryConnection } from '../../src/memory-connection.js';
import { RequestRecord } from '../../src/record.js';
import { BODY_COMPLETE } from '../../src/contract.generated.js';

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

  const result: ParseResult = { requests: [], closed: false };
  let current: ParsedRequest | null = null;
  let body: Buffer[] = [];

  const finish = (): void => {
    if (current === null) return;
    current.body = Buffer.concat(body).toString('latin1');
    result.requests.push(current);
    connection.done(!current.keepAlive);
    current = null;
    body = [];
  };

  const connection: MemoryConnection = new MemoryConnection(core, {
    callApp(conn) {
      const record = new RequestRecord(core, conn.id);
      current = readRequest(record);
      if (!(record.flags & F_HAS_BODY)) finish();
    },
    body(_, address, length) {
      body.push(Buffer.from(core.bytes.subarray(address, address + length)));
    },
    bodyEnd(_, how) {
      if (how === BODY_COMPLETE) finish();
    },
    error(_, code) {
      result.error = { status: core.errorStatuses[code], code, reason: core.errorReasons[code] };
      result.closed = true;
    },
    close() {
      result.closed = true;
    },
  });

  for (const piece of pieces) {
    connection.feed(piece);
    if (connection.ended) break;
  }
  // Close the connection so the slot is free for the next parse.
  connection.disconnect();
  return result;
}

function readRequest(record: RequestRecord): ParsedRequest {
  const headers: [string, string][] = [];
  for (let i = 0; i < record.fieldCount; i++) headers.push([record.fieldName(i), record.fieldValue(i)]);
  return {
    method: record.method,
    target: record.target,
    version: record.flags & F_HTTP11 ? '1.1' : '1.0',
    path: record.path,
    query: record.query,
    headers,
    body: '',
    keepAlive: (record.flags & F_KEEP_ALIVE) !== 0,
  };
}
