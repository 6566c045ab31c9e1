// Linear memory is laid out once, at init, from the limits: nothing is allocated afterwards.
//
//   events | actions | scratch in | scratch out | touched list | free lists | connection table |
//   slots | landing zone
//
// A slot holds a request record followed by an input window. Every read lands in the shared
// landing zone and is copied to the window's free tail; the parser works on the window in place.
// Slots are pooled (windows.ts): a connection holds one only while it has bytes to parse.

// The default limits (the hosts take theirs from these, through src/contract.generated.ts).
export const DEFAULT_MAX_CONNECTIONS = 10000;         // open connections; more wait for a slot
export const DEFAULT_LIMIT_REQUEST_LINE = 8192;       // bytes; longer: 414
export const DEFAULT_LIMIT_REQUEST_FIELDS = 100;      // fields; more: 431
export const DEFAULT_LIMIT_REQUEST_FIELD_SIZE = 8192; // bytes; longer: 431
export const DEFAULT_LIMIT_REQUEST_HEAD = 65536;      // bytes; larger: 431
export const DEFAULT_MAX_BODY_SIZE = 16777216;        // bytes; larger: 413
export const DEFAULT_HEADER_TIMEOUT_MS = 10000;       // a head not whole in time: 408
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5000;    // an idle connection is closed
export const DEFAULT_BODY_TIMEOUT_MS = 30000;         // a stalled body: 408

export let maxConnections: i32 = 0;
export let limitRequestLine: i32 = DEFAULT_LIMIT_REQUEST_LINE;
export let limitRequestFields: i32 = DEFAULT_LIMIT_REQUEST_FIELDS;
export let limitRequestFieldSize: i32 = DEFAULT_LIMIT_REQUEST_FIELD_SIZE;
export let limitRequestHead: i32 = DEFAULT_LIMIT_REQUEST_HEAD;
export let maxBodySize: u64 = DEFAULT_MAX_BODY_SIZE;

/** Bytes a window keeps in front of a head before it is worth moving the rest down. */
export const COMPACT_AT: i32 = 16384;
export let windowSize: i32 = 0;

export const EVENT_WORDS = 3;
/** An event's stride in bytes: type, connection, argument. */
export const EVENT_BYTES: usize = <usize>EVENT_WORDS << 2;
export const ACTION_WORDS = 4;
/** Each connection's event handling emits at most a few actions; the queue holds them all at once. */
const ACTIONS_PER_EVENT = 6;
export let eventCapacity: i32 = 0;
export let actionCapacity: i32 = 0;
export let eventsBase: usize = 0;
export let actionsBase: usize = 0;

export const SCRATCH_SIZE: i32 = 131072;

// The response head the host writes to scratchIn: an index of u32 words (the status's span, then
// each field's name span and value span; a span is an offset into the text after the index and a
// length), then the latin-1 text.
export const HEAD_INDEX_FIELDS = 2;      // the first field's words; the status's span comes before
export const HEAD_INDEX_FIELD_WORDS = 4; // name offset, name length, value offset, value length
export const MAX_RESPONSE_FIELDS = 256;  // more: the head is refused
/** The index's size, rounded to 16 bytes: the text starts here. */
export const HEAD_INDEX_BYTES: usize = ((<usize>(HEAD_INDEX_FIELDS + MAX_RESPONSE_FIELDS * HEAD_INDEX_FIELD_WORDS) << 2) + 15) & ~15;
export let scratchIn: usize = 0;
export let scratchOut: usize = 0;

export let touchedBase: usize = 0;
export let freeBase: usize = 0;
export let freeSlotsBase: usize = 0;
export let connTable: usize = 0;
export const CONN_SIZE: usize = 104;
export let slotsBase: usize = 0;
export let slotSize: usize = 0;
export let landing: usize = 0;
/** The end of the core's memory. */
export let end: usize = 0;

// The record the host reads on CALL_APP (u32 words, offsets are absolute addresses).
export const REC_FLAGS = 0;
export const REC_METHOD = 1;     // offset, length
export const REC_TARGET = 3;
export const REC_PATH = 5;
export const REC_QUERY = 7;
export const REC_FIELD_COUNT = 9;
export const REC_CONTENT_LENGTH = 10; // as written by the client; the host takes the string
export const REC_HEAD = 12;      // the whole head: the host copies it out once and slices the rest
export const REC_FIELDS = 14;    // per field: id, name offset, name length, value offset, value length
export const FIELD_WORDS = 5;
export let recordSize: usize = 0;

// Request flags in REC_FLAGS.
export const F_HTTP11: u32 = 1;
export const F_KEEP_ALIVE: u32 = 2;
export const F_EXPECT_CONTINUE: u32 = 4;
export const F_PERCENT: u32 = 8;
export const F_CHUNKED: u32 = 16;
export const F_HAS_BODY: u32 = 32;
export const F_HEAD: u32 = 64;

function align(n: usize, to: usize): usize {
  return (n + to - 1) & ~(to - 1);
}

export function configure(conns: i32, requestLine: i32, fields: i32, fieldSize: i32, head: i32, body: f64): bool {
  if (conns < 1 || requestLine < 16 || fields < 1 || fieldSize < 16 || head < 64 || body < 0) return false;
  // Everything must fit in a 32-bit address space: check in floating point before laying out.
  const events = <f64>conns * 4 + 64; // per connection and batch: READ, EOF, DONE, CLOSED
  const slot = <f64>(head + COMPACT_AT + 4096) + (<f64>REC_FIELDS + <f64>fields * FIELD_WORDS) * 4 + 64;
  // Per connection: its slot, its entry in the table, and one u32 in each of the three lists.
  const total = <f64>conns * (slot + <f64>CONN_SIZE + 3 * 4) + slot + events * (EVENT_WORDS * 4) +
    (events + <f64>conns) * ACTIONS_PER_EVENT * (ACTION_WORDS * 4) + 2 * <f64>SCRATCH_SIZE;
  if (total > 4.0e9) return false;
  eventCapacity = <i32>events;
  maxConnections = conns;
  limitRequestLine = requestLine;
  limitRequestFields = fields;
  limitRequestFieldSize = fieldSize;
  limitRequestHead = head;
  maxBodySize = <u64>body;
  // A head may start anywhere below COMPACT_AT and must still fit whole.
  windowSize = <i32>align(<usize>(head + COMPACT_AT), 4096);
  recordSize = align(<usize>(REC_FIELDS + fields * FIELD_WORDS) << 2, 64);
  // Whole pages per slot: an idle connection then touches one page (its record and first bytes).
  slotSize = align(recordSize + <usize>windowSize, 4096);
  actionCapacity = (eventCapacity + conns) * ACTIONS_PER_EVENT;

  let p = align(__heap_base, 64);
  eventsBase = p; p += <usize>(eventCapacity * EVENT_WORDS) << 2;
  actionsBase = p; p += <usize>(actionCapacity * ACTION_WORDS) << 2;
  scratchIn = align(p, 64); p = scratchIn + SCRATCH_SIZE;
  scratchOut = p; p += SCRATCH_SIZE;
  touchedBase = p; p += <usize>conns << 2;
  freeBase = p; p += <usize>conns << 2;
  freeSlotsBase = p; p += <usize>conns << 2;
  connTable = align(p, 64); p = connTable + <usize>conns * CONN_SIZE;
  slotsBase = align(p, 4096); p = slotsBase + <usize>conns * slotSize;
  landing = p; p += <usize>windowSize;
  p += 64; // the parser may look a few bytes past a window's end
  end = p;

  const need = <i32>((p + 0xffff) >>> 16);
  const have = memory.size();
  if (need > have && memory.grow(need - have) < 0) return false;
  return true;
}

/** The address of slot `slot` (its record; the window follows at recordSize). */
// @ts-ignore: decorator
@inline export function slotAt(slot: i32): usize {
  return slotsBase + <usize>slot * slotSize;
}
