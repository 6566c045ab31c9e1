// The built core (dist/src/core.js) as the fuzzer sees it: the same class, plus checks that every
// span the core hands the host lies inside a connection window — the request record's head, and
// every span of the record inside that head; BODY action spans, REARM offsets — and that error
// codes are known. A violation throws a BoundsError, which the fuzzer reports like a trap. It also
// counts the heads the core accepted (CALL_APP), so a rejection can be placed in a message's head
// or its body.

import * as real from '../dist/src/core.js';

export * from '../dist/src/core.js';

export class BoundsError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BoundsError';
  }
}

/**
 * Every Core constructed through this module, newest last. Kept on globalThis: under vitest the
 * driver (loaded natively from a data: URL) and the fuzzer may see two copies of this module.
 */
export const instances = (globalThis[Symbol.for('wasgi.fuzz.cores')] ??= []);

export class Core extends real.Core {
  constructor(limits) {
    super(limits);
    this.windows = [];
    for (let slot = 0; slot < this.limits.maxConnections; slot++) this.windows.push(this.slotWindow(slot));
    this.lowestWindow = Math.min(...this.windows);
    /** The method of each head the core accepted (a CALL_APP the driver took) since the last reset. */
    this.heads = [];
    instances.push(this);
    if (instances.length > 64) instances.splice(0, instances.length - 64);
  }

  inWindow(address, length) {
    if (!(length >= 0)) return false;
    for (const w of this.windows) if (address >= w && address + length <= w + this.windowSize) return true;
    return false;
  }

  latin1(address, length) {
    // The one span allowed outside a window: the core's static "/" for an absolute-form target
    // with an empty path.
    const staticRoot = length === 1 && address < this.lowestWindow && this.bytes[address] === 0x2f;
    if (!staticRoot && !this.inWindow(address, length)) {
      throw new BoundsError(`record span [${address}, +${length}) outside every window`);
    }
    return super.latin1(address, length);
  }

  /** Every span of the record lies in its head (hosts read them as substrings of it), the head in a window. */
  checkRecord(rec) {
    const w = this.words;
    const head = w[rec + real.REC_HEAD];
    const headLength = w[rec + real.REC_HEAD + 1];
    if (!this.inWindow(head, headLength)) throw new BoundsError(`record head [${head}, +${headLength}) outside every window`);
    const spans = [real.REC_METHOD, real.REC_TARGET, real.REC_PATH, real.REC_QUERY];
    for (let i = 0; i < w[rec + real.REC_FIELD_COUNT]; i++) spans.push(real.REC_FIELDS + i * real.FIELD_WORDS + 1, real.REC_FIELDS + i * real.FIELD_WORDS + 3);
    for (const word of spans) {
      const address = w[rec + word];
      const length = w[rec + word + 1];
      const staticRoot = length === 1 && address < this.lowestWindow && this.bytes[address] === 0x2f;
      if (length !== 0 && !staticRoot && !(address >= head && address + length <= head + headLength)) {
        throw new BoundsError(`record span [${address}, +${length}) outside the head [${head}, +${headLength})`);
      }
    }
  }

  actionWord(index, word) {
    const v = super.actionWord(index, word);
    if (word === 0) {
      if (v === this.ACT_CALL_APP) {
        const rec = this.recordWord(super.actionWord(index, 1));
        this.checkRecord(rec);
        this.heads.push(this.latin1(this.words[rec + real.REC_METHOD], this.words[rec + real.REC_METHOD + 1]));
      }
      const a = super.actionWord(index, 2);
      const b = super.actionWord(index, 3);
      if (v === this.ACT_BODY && (b === 0 || !this.inWindow(a, b))) {
        throw new BoundsError(`BODY span [${a}, +${b}) empty or outside every window`);
      }
      if (v === this.ACT_REARM && !(a <= this.windowSize)) throw new BoundsError(`REARM offset ${a} past the window`);
      if (v === this.ACT_ERROR && !(a > 0 && a < this.errorReasons.length)) throw new BoundsError(`unknown error code ${a}`);
    }
    return v;
  }
}
