// Lines up what the core made of an input with what llhttp made of the same bytes, message by
// message and, within a message, head then body, and describes the first point where they part.

import { METHODS } from './llhttp.mjs';

const KNOWN_METHODS = new Set(METHODS);
const HEAD_FIELDS = ['method', 'target', 'version', 'headers', 'keepAlive'];

function same(field, a, b) {
  if (field !== 'headers') return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i][0] !== b[i][0] || a[i][1] !== b[i][1]) return false;
  return true;
}

/**
 * `w` is the driver's result ({ requests, error, closed }), `heads` the methods of the heads the
 * core accepted (one per CALL_APP, complete or not), `l` llhttpParse's result. Returns one of
 *   { outcome: 'agree', messages }          the same messages, ended the same way
 *   { outcome: 'skip', reason, index }      the rest is beyond llhttp: an extension method
 *                                           ('method') or a protocol switch ('upgrade')
 *   { outcome: 'undecided', index, stage }  one side refused where the other still waits for bytes
 *   { outcome: 'differ', kind, stage, index, w, l }   a disagreement on message `index`:
 *     kind 'field'      both accepted; `field` differs (w, l: the two values)
 *     kind 'w-rejects'  the core refused (w: its error), llhttp accepted (l: its message)
 *     kind 'w-accepts'  the core accepted (w: its request, or { method } while its body is
 *                       unfinished), llhttp refused (l: its error)
 *     kind 'w-waits'    llhttp finished it, the core still waits for bytes
 *     kind 'l-waits'    the core finished it, llhttp still waits for bytes
 *   `stage` is 'head' or 'body'.
 */
export function compare(w, heads, l) {
  for (let i = 0; ; i++) {
    const wm = w.requests[i];
    const lm = l.messages[i] ?? (i === l.messages.length ? l.partial : null);
    const wHead = i < heads.length ? 'accept' : w.error ? 'reject' : 'wait';
    const lHead = lm ? 'accept' : l.error ? 'reject' : 'wait';
    if (wHead === 'accept' && !KNOWN_METHODS.has(heads[i])) return { outcome: 'skip', reason: 'method', index: i };
    // head
    if (wHead !== lHead) {
      const wv = wm ?? (wHead === 'accept' ? { method: heads[i] } : w.error);
      const lv = lm ?? l.error;
      if (wHead === 'reject' && lHead === 'accept') return { outcome: 'differ', kind: 'w-rejects', stage: 'head', index: i, w: wv, l: lv };
      if (wHead === 'accept' && lHead === 'reject') return { outcome: 'differ', kind: 'w-accepts', stage: 'head', index: i, w: wv, l: lv };
      if (wHead === 'wait' && lHead === 'accept') return { outcome: 'differ', kind: 'w-waits', stage: 'head', index: i, w: wv, l: lv };
      if (wHead === 'accept' && lHead === 'wait') return { outcome: 'differ', kind: 'l-waits', stage: 'head', index: i, w: wv, l: lv };
      return { outcome: 'undecided', stage: 'head', index: i, w: wv, l: lv };
    }
    if (wHead !== 'accept') return { outcome: 'agree', messages: i };
    if (wm) {
      for (const field of HEAD_FIELDS) {
        if (!same(field, wm[field], lm[field])) return { outcome: 'differ', kind: 'field', field, stage: 'head', index: i, w: wm[field], l: lm[field], wm, lm };
      }
    }
    // After a protocol switch (Upgrade, CONNECT) llhttp parses no more HTTP, not even the body.
    if (lm.upgrade) return { outcome: 'skip', reason: 'upgrade', index: i };
    // body
    const wBody = wm ? 'complete' : w.error ? 'reject' : 'wait';
    const lBody = l.messages[i] ? 'complete' : l.error ? 'reject' : 'wait';
    if (wBody !== lBody) {
      const wv = wm ?? (wBody === 'reject' ? w.error : { method: heads[i] });
      const lv = l.messages[i] ?? (lBody === 'reject' ? l.error : lm);
      if (wBody === 'reject' && lBody === 'complete') return { outcome: 'differ', kind: 'w-rejects', stage: 'body', index: i, w: wv, l: lv, lm };
      if (wBody === 'complete' && lBody === 'reject') return { outcome: 'differ', kind: 'w-accepts', stage: 'body', index: i, w: wv, l: lv, lm };
      if (wBody === 'wait' && lBody === 'complete') return { outcome: 'differ', kind: 'w-waits', stage: 'body', index: i, w: wv, l: lv, lm };
      if (wBody === 'complete' && lBody === 'wait') return { outcome: 'differ', kind: 'l-waits', stage: 'body', index: i, w: wv, l: lv, lm };
      return { outcome: 'undecided', stage: 'body', index: i, w: wv, l: lv, lm };
    }
    if (wBody !== 'complete') return { outcome: 'agree', messages: i };
    if (wm.body !== lm.body) return { outcome: 'differ', kind: 'field', field: 'body', stage: 'body', index: i, w: wm.body, l: lm.body, wm, lm };
    // The connection ends after a non-persistent message (llhttp refuses bytes after it).
    if (!wm.keepAlive) return { outcome: 'agree', messages: i + 1 };
  }
}
