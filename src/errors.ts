// wsgi.errors and the server's error log. Messages go to a sink: a stream-like object with
// write(), or a function; each line is prefixed with a timestamp and a level. Logging never
// throws: whatever an application threw is described without trusting it, and a sink that
// fails loses the line rather than the caller.

import type { ErrorStream } from './types.js';

export type LogSink = { write(text: string): unknown } | ((text: string) => unknown);

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Text for any thrown or rejected value: an Error's stack, a string, or a short description.
 * Objects may have throwing getters, toString or Proxy traps, so each look is guarded.
 */
export function describeValue(value: unknown): string {
  try {
    if (value instanceof Error) {
      const stack = value.stack;
      if (typeof stack === 'string' && stack !== '') return stack;
      return `${String(value.name)}: ${String(value.message)}`;
    }
  } catch {
    // a hostile Error-like object: described below
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object' && typeof value !== 'function') return String(value);
  try {
    const text = String(value);
    if (typeof text === 'string') return text;
  } catch {
    // its toString throws
  }
  return `a value that cannot be shown as text (${typeof value})`;
}

export class ErrorLog {
  private readonly threshold: number;

  /** Messages below `level` are dropped; wsgi.errors text always goes through. */
  constructor(private readonly sink: LogSink = process.stderr, level: LogLevel = 'info') {
    this.threshold = LOG_LEVELS.indexOf(level);
    if (this.threshold < 0) throw new RangeError(`wasgi: unknown log level ${JSON.stringify(level)}; use one of ${LOG_LEVELS.join(', ')}`);
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.threshold;
  }

  private emit(text: string): void {
    try {
      if (typeof this.sink === 'function') this.sink(text);
      else this.sink.write(text);
    } catch {
      // The line is lost; the request that logged it is not.
    }
  }

  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    this.emit(`[${new Date().toISOString()}] [${level}] ${message}\n`);
  }

  /** `message`, then what `error` was (when given) on the lines after it. */
  error(message: string, error?: unknown): void {
    this.log('error', arguments.length > 1 ? `${message}\n${describeValue(error)}` : message);
  }

  /** The application's `wsgi.errors`, writing raw text to the same sink. */
  readonly stream: ErrorStream = {
    write: (text: string): void => { this.emit(describeValue(text)); },
    writelines: (lines: Iterable<string>): void => { for (const line of lines) this.emit(describeValue(line)); },
    flush: (): void => {},
  };
}
