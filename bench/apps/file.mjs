// A file response through wsgi.file_wrapper over its path, for the file scenario: the file the
// bench made (BENCH_FILE), its size as Content-Length from the wrapper.
const FILE = process.env.BENCH_FILE;

export function application(environ, startResponse) {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return environ['wsgi.file_wrapper'](FILE);
}
