// wsgi.errors and the server's error log. Messages go to a sink: a stream-like object with
// write(), or a function; each line is prefixed with a timestamp and a level.

import type { ErrorStream } from './types.js';

export type LogSink = { write(text: string): unknown } | ((text: string) => unknown);

export class ErrorLog {
  constructor(private readonly sink: LogSink = process.stderr) {}

  private emit(text: string): void {
    if (typeof this.sink === 'function') this.sink(text);
    else this.sink.write(text);
  }

  log(level: string, message: string): void {
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
