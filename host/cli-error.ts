// A failure of the command, reported as one line on stderr with its exit code.

/** A failure reported as one line on stderr: exit code 2 for wrong usage, 1 for the rest. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, 2);
}
