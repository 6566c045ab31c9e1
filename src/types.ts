// The JavaScript form of PEP 3333's application contract.

import type { FileHandle } from 'node:fs/promises';

/** A body chunk: bytes, or a string sent as UTF-8. */
export type Chunk = Uint8Array | string;

/** What an application returns: chunks, synchronously or not, optionally closable. */
export type ResponseBody = (Iterable<Chunk> | AsyncIterable<Chunk>) & { close?: () => unknown };

/**
 * Response headers: `[name, value]` pairs. A list kept in a variable (`string[][]` to TypeScript)
 * fits too; each entry must be a pair when the server reads it.
 */
export type HeaderList = ReadonlyArray<readonly [name: string, value: string] | readonly string[]>;

/** PEP 3333's `exc_info`: the error being reported. */
export type ExcInfo = unknown;

export type Write = (chunk: Chunk) => void;

export type StartResponse = (status: string, headers: HeaderList, excInfo?: ExcInfo) => Write;

export type Application = (environ: Environ, startResponse: StartResponse) =>
  ResponseBody | Promise<ResponseBody>;

/** `wsgi.input`: the request body, read through Promises. */
export interface InputStream extends AsyncIterable<Uint8Array> {
  /** Up to `size` bytes (all that is left when omitted); an empty chunk at the end. */
  read(size?: number): Promise<Uint8Array>;
  /** One line including its `\n` (at most `size` bytes); an empty chunk at the end. */
  readline(size?: number): Promise<Uint8Array>;
  /** All remaining lines (stopping once `hint` bytes were read, when given). */
  readlines(hint?: number): Promise<Uint8Array[]>;
}

/** `wsgi.errors`: text to the server's error log. */
export interface ErrorStream {
  write(text: string): void;
  writelines(lines: Iterable<string>): void;
  flush(): void;
}

/** Readable source for `wsgi.file_wrapper`: `read(n)` returns bytes, empty at the end. */
export interface FileLike {
  read(size: number): Uint8Array | string | Promise<Uint8Array | string>;
  close?(): unknown;
}

/** What `wsgi.file_wrapper` reads: a path, a file descriptor, a FileHandle, or a FileLike. */
export type FileSource = string | number | FileHandle | FileLike;

/** `wsgi.file_wrapper(file, blockSize = 65536)`: the file as a response body, closed when done. */
export type FileWrapper = (file: FileSource, blockSize?: number) => ResponseBody;

export interface Environ {
  REQUEST_METHOD: string;
  SCRIPT_NAME: string;
  PATH_INFO: string;
  QUERY_STRING: string;
  CONTENT_TYPE?: string;
  CONTENT_LENGTH?: string;
  SERVER_NAME: string;
  SERVER_PORT: string;
  SERVER_PROTOCOL: string;
  REMOTE_ADDR: string;
  REMOTE_PORT: string;
  RAW_URI: string;
  'wsgi.version': [1, 0];
  'wsgi.url_scheme': string;
  'wsgi.input': InputStream;
  'wsgi.errors': ErrorStream;
  'wsgi.multithread': boolean;
  'wsgi.multiprocess': boolean;
  'wsgi.run_once': boolean;
  'wsgi.input_terminated': boolean;
  'wsgi.file_wrapper': FileWrapper;
  /** A request header (absent when not sent: check with `in` or `?? default`, as in Python). */
  [header: `HTTP_${string}`]: string;
  [key: string]: unknown;
}
