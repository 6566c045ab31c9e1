// The JavaScript form of PEP 3333's application contract.

/** A body chunk: bytes, or a string sent as UTF-8. */
export type Chunk = Uint8Array | string;

/** What an application returns: chunks, synchronously or not, optionally closable. */
export type ResponseBody = (Iterable<Chunk> | AsyncIterable<Chunk>) & { close?: () => unknown };

export type HeaderList = [name: string, value: string][];

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

export type FileWrapper = (file: FileLike, blockSize?: number) => ResponseBody;

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
  [key: string]: unknown;
}
