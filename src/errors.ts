// wsgi.errors and the server's error log. Messages go to a sink: a stream-like object with
// write(), or a function; each line is prefixed with a timestamp and a level.

import type { ErrorStream } from './types.js';

export type LogSink = { write(text: string): unknown } | ((text: string) => unknown);

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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
    if (typeof this.sink === 'function') this.sink(text);
    else this.sink.write(text);
  }

  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    this.emit(`[${new Date().toISOString()}] [${level}] ${message}\n`);
  }

  error(message: string, error?: unknown): void {
    const detail = error instanceof Error ? `\n${error.stack ?? error.message}` : error === undefined ? '' : `\n${String(error)}`;
    this.log('error', message + detail);
  }

  /** The application's `wsgi.errors`, writing raw text to the same sink. */
  readonly stream: ErrorStream = {
    write: (text: string): void => { this.emit(String(text)); },
    writelines: (lines: Iterable<string>): void => { for (const line of lines) this.emit(String(line)); },
    flush: (): void => {},
  };
}
