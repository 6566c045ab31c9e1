// The log files of the command's processes: checked once before anything starts, and each
// process's error log opened with stderr beside it, each told when writing to the other fails.

import { closeSync, openSync } from 'node:fs';
import { ErrorLog } from '../src/errors.js';
import { usageError } from './cli-error.js';
import { LogFile } from './logfile.js';
import type { Settings } from './settings.js';

/** Opens (creating) the log files once, so that a wrong path is a usage error before anything starts. */
export function checkLogFiles(s: Settings): void {
  for (const [flag, file] of [['--error-logfile', s.errorLogfile], ['--access-logfile', s.accessLogfile]] as const) {
    if (file === null || file === '-') continue;
    try {
      closeSync(openSync(file, 'a'));
    } catch (error) {
      throw usageError(`${flag}: cannot open ${file}: ${(error as Error).message}`);
    }
  }
}

/** A process's error log, and stderr (the same log when the error log is '-'). */
export interface ErrorLogs {
  file: LogFile;
  stderr: LogFile;
  log: ErrorLog;
  close(): void;
}

/**
 * Opens the error log of the primary or a worker (`who` prefixes its messages elsewhere). When it
 * is a file, stderr is told when writing to it fails and when it works again, and the other way
 * round.
 */
export function openErrorLog(s: Settings, who: string): ErrorLogs {
  const file = new LogFile('error log', s.errorLogfile, 'stderr');
  const log = new ErrorLog(file.write, s.logLevel);
  const stderr = s.errorLogfile === '-' ? file : new LogFile('messages', '-', 'stderr');
  if (stderr !== file) {
    file.report = (message) => stderr.write(`wasgi: ${who}${message}\n`);
    stderr.report = (message) => log.log('error', who + message);
  }
  return {
    file,
    stderr,
    log,
    close: () => {
      file.close();
      stderr.close();
    },
  };
}
