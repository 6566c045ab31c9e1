// wasgi: PEP 3333 applications on Node.js.

export { makeServer, serve, Server } from './host/node.js';
export type { ServerOptions, ServeOptions } from './host/node.js';
export type { AccessEnviron, AccessRecord } from './host/accesslog.js';
export { DEFAULT_LIMITS } from './src/core.js';
export type { Limits } from './src/core.js';
export { CoreExit } from './src/wasi-imports.js';
export { fileWrapper } from './src/filewrapper.js';
export type { LogLevel, LogSink } from './src/errors.js';
export type {
  Application, Chunk, Environ, ErrorStream, ExcInfo, FileLike, FileSource, FileWrapper, HeaderList, InputStream,
  ResponseBody, StartResponse, Write,
} from './src/types.js';
