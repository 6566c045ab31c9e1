// Python's OSError family, as wasgi/socket raises it: errno numbers are the platform's, messages
// glibc's, and Node's errors are mapped to the class Python would raise.

import os from 'node:os';

const STRERROR: Record<string, string> = {
  EAGAIN: 'Resource temporarily unavailable',
  EBADF: 'Bad file descriptor',
  EINVAL: 'Invalid argument',
  EINPROGRESS: 'Operation now in progress',
  EALREADY: 'Operation already in progress',
  EISCONN: 'Transport endpoint is already connected',
  ENOTCONN: 'Transport endpoint is not connected',
  EPIPE: 'Broken pipe',
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ECONNABORTED: 'Software caused connection abort',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  ESOCKTNOSUPPORT: 'Socket type not supported',
  EACCES: 'Permission denied',
  EMFILE: 'Too many open files',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
};

const ERRNO = os.constants.errno as Record<string, number>;
// Number to name, first name wins (EAGAIN before its alias EWOULDBLOCK).
const CODE_OF = new Map<number, string>();
for (const [code, n] of Object.entries(ERRNO)) if (!CODE_OF.has(n)) CODE_OF.set(n, code);

export class OSError extends Error {
  /** The symbolic name, as Node's errors carry it ('EAGAIN'). */
  readonly code: string;
  constructor(readonly errno: number, readonly strerror: string) {
    super(`[Errno ${errno}] ${strerror}`);
    this.name = new.target.name;
    this.code = CODE_OF.get(errno) ?? '';
  }
}
export class BlockingIOError extends OSError {}
export class ConnectionError extends OSError {}
export class BrokenPipeError extends ConnectionError {}
export class ConnectionAbortedError extends ConnectionError {}
export class ConnectionRefusedError extends ConnectionError {}
export class ConnectionResetError extends ConnectionError {}
/** A host name that did not resolve (Python's socket.gaierror; errno is an EAI_* number). */
export class gaierror extends OSError {}

/** Python's ValueError (wasgi/selectors raises it too). */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

const SUBCLASS: Record<string, typeof OSError> = {
  EAGAIN: BlockingIOError, EWOULDBLOCK: BlockingIOError, EINPROGRESS: BlockingIOError, EALREADY: BlockingIOError,
  EPIPE: BrokenPipeError, ECONNABORTED: ConnectionAbortedError, ECONNREFUSED: ConnectionRefusedError,
  ECONNRESET: ConnectionResetError,
};

export function oserror(code: string, strerror?: string): OSError {
  const Class = SUBCLASS[code] ?? OSError;
  return new Class(ERRNO[code] ?? 0, strerror ?? STRERROR[code] ?? code);
}

/** A Node error as the OSError Python would raise for it. */
export function fromNode(error: unknown): Error {
  if (error instanceof OSError || !(error instanceof Error)) return error as Error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOTFOUND') return new gaierror(-2, 'Name or service not known');
  if (code === 'EAI_AGAIN') return new gaierror(-3, 'Temporary failure in name resolution');
  if (code in ERRNO) return oserror(code);
  return error;
}
