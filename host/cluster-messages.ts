// node:cluster's internal messages (undocumented; as Node 20 sends them) that the handover
// workarounds read and write: the primary's side (handovers.ts) and the worker's
// (dropped-handovers.ts). One place knows their shape.

/** A message's fields, when it is an object. */
function fields(message: unknown): Record<string, unknown> | null {
  return typeof message === 'object' && message !== null ? message as Record<string, unknown> : null;
}

/** The sequence number of a round-robin handover (node:cluster's 'newconn' message), else null. */
export function handoverSeq(message: unknown): number | null {
  const m = fields(message);
  return m?.cmd === 'NODE_CLUSTER' && m.act === 'newconn' && typeof m.seq === 'number' ? m.seq : null;
}

/** The listening socket (node:cluster's key) a message to a worker is about, else null. */
export function clusterKey(message: unknown): string | null {
  const m = fields(message);
  return m?.cmd === 'NODE_CLUSTER' && typeof m.key === 'string' ? m.key : null;
}

/** The sequence number a worker's answer to a handover refers to, else null. */
export function ackOf(message: unknown): number | null {
  const m = fields(message);
  return m?.cmd === 'NODE_CLUSTER' && typeof m.ack === 'number' ? m.ack : null;
}

/**
 * The message a handle came with, as a worker's process sees it: child_process wraps a message
 * that carries a handle (NODE_HANDLE), and emits the wrapper itself when the handle did not arrive.
 */
export function withHandle(message: unknown): unknown {
  const m = fields(message);
  return m?.cmd === 'NODE_HANDLE' ? m.msg : null;
}

/** A worker's answer to handover `seq`: not accepted (the primary then hands the connection to another). */
export function notAccepted(seq: number): { cmd: 'NODE_CLUSTER'; ack: number; accepted: false } {
  return { cmd: 'NODE_CLUSTER', ack: seq, accepted: false };
}

/** What a worker tells the primary when it closes its server on the listening socket `key`. */
export function closed(key: string): { cmd: 'NODE_CLUSTER'; act: 'close'; key: string } {
  return { cmd: 'NODE_CLUSTER', act: 'close', key };
}
