// A request record read by name, as every host reads it on CALL_APP (the layout is the core's:
// REC_*, FIELD_WORDS, F_*). The head is copied out of the window once, as one latin-1 string, when
// the first string is asked for; every other string is a substring of it: one native call per
// request instead of one per value.

import type { Core } from './core.js';
import { F_HTTP11, F_PERCENT, REC_FLAGS, REC_HEAD, REC_METHOD, REC_TARGET, REC_PATH, REC_QUERY, REC_FIELD_COUNT, REC_FIELDS, FIELD_WORDS } from './contract.generated.js';

export class RequestRecord {
  /** F_* flags. */
  readonly flags: number;
  readonly fieldCount: number;
  private readonly words: Uint32Array;
  /** The record's first word. */
  private readonly at: number;
  /** The head's address. */
  private readonly base: number;
  private headText: string | null = null;

  /** The record of `conn`; read its strings while its CALL_APP is handled (later runs may move the window's bytes). */
  constructor(private readonly core: Core, private readonly conn: number) {
    const w = core.words;
    const at = core.recordWord(conn);
    this.words = w;
    this.at = at;
    this.flags = w[at + REC_FLAGS];
    this.base = w[at + REC_HEAD];
    this.fieldCount = w[at + REC_FIELD_COUNT];
  }

  /** The whole request head, latin-1. */
  get head(): string {
    return (this.headText ??= this.core.latin1(this.base, this.words[this.at + REC_HEAD + 1]));
  }

  get method(): string { return this.span(this.at + REC_METHOD); }
  /** The request target as sent. */
  get target(): string { return this.span(this.at + REC_TARGET); }
  /** The target's path, percent-decoded. */
  get path(): string {
    if (this.flags & F_PERCENT) return this.core.decodePath(this.conn);
    // The core's one span outside the head: the "/" of an absolute-form target without a path.
    const address = this.words[this.at + REC_PATH];
    return address < this.base ? this.core.latin1(address, this.words[this.at + REC_PATH + 1]) : this.span(this.at + REC_PATH);
  }
  /** The target's query, without "?". */
  get query(): string { return this.span(this.at + REC_QUERY); }
  get protocol(): 'HTTP/1.1' | 'HTTP/1.0' { return this.flags & F_HTTP11 ? 'HTTP/1.1' : 'HTTP/1.0'; }

  /** Field `i`'s interned name id (its lowercase name is Core.fieldNames[id]), 0 for a name the core does not know. */
  fieldId(i: number): number { return this.words[this.at + REC_FIELDS + i * FIELD_WORDS]; }
  fieldName(i: number): string { return this.span(this.at + REC_FIELDS + i * FIELD_WORDS + 1); }
  fieldValue(i: number): string { return this.span(this.at + REC_FIELDS + i * FIELD_WORDS + 3); }

  /** The string of the span (address, length) at word `word`: a substring of the head. */
  private span(word: number): string {
    const start = this.words[word] - this.base;
    return (this.headText ?? this.head).substring(start, start + this.words[word + 1]);
  }
}
