// Inputs for the fuzzer: a seeded PRNG, byte-level mutations of seed requests, grammar-built
// requests, and plain random bytes. Every input is derived from (seed, iteration) alone, so any one
// can be regenerated without replaying the run (see makeInput).

/** mulberry32: small deterministic PRNG returning floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The PRNG for one iteration of one run. */
export function iterationRandom(seed, iteration) {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(iteration >>> 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return prng(h);
}

const pick = (r, list) => list[Math.floor(r() * list.length)];
const int = (r, n) => Math.floor(r() * n);

export const TOKENS = [
  '\r', '\n', '\r\n', '\r\n\r\n', '\n\n', ' ', '  ', '\t', ':', ': ', ';', '=', '"', '\\', '%', ',', '/', '?', '#', '*',
  '@', '[', ']', '(', '{', '\x00', '\x01', '\x0b', '\x0c', '\x7f', '\x80', '\xa0', '\xff',
  '0', '1', '9', 'a', 'f', 'F', 'g', '00', '-1', '+1', '0x1', '1.1', '4294967296', '18446744073709551616', 'ffffffffffffffff',
  '%00', '%2F', '%2f', '%zz', '%4', '%%',
  'chunked', 'Chunked', 'gzip', 'identity', 'close', 'keep-alive', 'upgrade', '100-continue', 'HTTP/1.1', 'HTTP/1.0',
  'HTTP/2.0', 'HTTP/1.2', 'http://', 'https://a.b:1', 'a.b:80', '[::1]', '[::1]:8',
  'Content-Length: ', 'Transfer-Encoding: ', 'Host: ', 'Connection: ', 'Expect: ', 'Upgrade: ', 'Trailer: ',
  'Content-Length: 0\r\n', 'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', 'Host: a\r\n', 'Connection: close\r\n',
  'Connection: keep-alive\r\n', ' chunked', 'chunked, chunked', 'gzip, chunked', '0\r\n\r\n', '5\r\nhello\r\n', '1;a=b\r\nx\r\n',
  ';ext', ';a="b"', ' ;a=b', 'X-A: 1\r\n', 'x_y: z\r\n', ' obs\r\n', '\tfold\r\n',
];

export const METHODS_USED = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH', 'QUERY', 'PRI', 'get', 'FOO', 'M-SEARCH', 'PROPFIND', 'SOURCE'];
const TARGETS = ['/', '/a', '/a/b?c=d', '/%41%2F', '/a%zz', '/?', '/a?b?c', '*', 'a.b:443', '[::1]:80', 'http://a.b/c?d', 'http://a.b', 'HTTPS://A:1/', 'h://x', 'mailto:a', '//a', '/a#f', "/~!$&'()*+,;=:@"];
const NAMES = ['Host', 'host', 'HOST', 'Content-Length', 'content-length', 'Transfer-Encoding', 'transfer-encoding', 'Connection',
  'Expect', 'Upgrade', 'Keep-Alive', 'TE', 'Trailer', 'X-Forwarded-For', 'Cookie', 'User-Agent', 'Accept', 'X_Under', 'x-a', "!#$%&'*+-.^_`|~"];
const VALUES = ['', 'a', 'example.com', 'a:80', '[::1]', 'a b', '0', '5', '05', '1,1', ' 3 ', 'chunked', 'gzip, chunked', 'chunked, gzip',
  'close', 'keep-alive', 'Keep-Alive, close', 'upgrade', 'websocket', '100-continue', '100-Continue', 'foo', 'trailers', '"q"', 'a\tb', '\xe9', '%zz'];

function header(r) {
  const name = pick(r, NAMES);
  const sep = r() < 0.9 ? ': ' : pick(r, [':', ':\t', ' : ', ':  ', ': \t']);
  return name + sep + pick(r, VALUES) + (r() < 0.97 ? '\r\n' : pick(r, ['\n', ' \r\n', '\r\r\n']));
}

function chunkedBody(r) {
  let s = '';
  const n = int(r, 4);
  for (let i = 0; i < n; i++) {
    const data = 'abcdefghijklmnopq'.slice(0, 1 + int(r, 16));
    s += data.length.toString(16) + (r() < 0.15 ? pick(r, [';a=b', ';x', ' ;y="z"', ';q="a\\"b"']) : '') + '\r\n' + data + '\r\n';
  }
  s += '0\r\n';
  if (r() < 0.2) s += pick(r, ['X-T: 1\r\n', 'Host: t\r\n', 'Bad Name: x\r\n']);
  return s + '\r\n';
}

/** A request assembled from grammar pieces, valid more often than not. */
export function generateRequest(r) {
  let s = '';
  const count = 1 + (r() < 0.3 ? int(r, 4) : 0);
  for (let k = 0; k < count; k++) {
    const version = r() < 0.85 ? 'HTTP/1.1' : pick(r, ['HTTP/1.0', 'HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.10']);
    s += pick(r, METHODS_USED) + ' ' + pick(r, TARGETS) + ' ' + version + '\r\n';
    if (r() < 0.9) s += 'Host: ' + pick(r, ['a', 'example.com', 'a:8080', '[::1]:1', '']) + '\r\n';
    const n = int(r, 5);
    for (let i = 0; i < n; i++) s += header(r);
    const framing = r();
    if (framing < 0.25) {
      const body = 'hello world'.slice(0, int(r, 12));
      s += 'Content-Length: ' + body.length + '\r\n\r\n' + body;
    } else if (framing < 0.45) {
      s += 'Transfer-Encoding: chunked\r\n\r\n' + chunkedBody(r);
    } else {
      s += '\r\n';
    }
  }
  return s;
}

/** Many requests back to back, mostly valid, some with large bodies: pipelining, window compaction, full windows. */
function pipeline(r, seeds) {
  const parts = [];
  const k = 5 + int(r, r() < 0.8 ? 40 : 300);
  for (let i = 0; i < k; i++) {
    const c = r();
    if (c < 0.05) {
      parts.push(generateRequest(r));
      continue;
    }
    let head = `${pick(r, ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'])} /p${i}${r() < 0.3 ? '?q=' + i : ''}${r() < 0.1 ? '%41' : ''} HTTP/1.1\r\nHost: a\r\n`;
    const fields = int(r, r() < 0.9 ? 4 : 90);
    for (let j = 0; j < fields; j++) head += `X-${j}: ${'v'.repeat(int(r, r() < 0.9 ? 20 : 3000))}\r\n`;
    const b = r();
    if (b < 0.4) {
      parts.push(head + '\r\n');
    } else if (b < 0.75) {
      const body = 'x'.repeat(int(r, r() < 0.8 ? 200 : r() < 0.8 ? 5000 : 40000));
      parts.push(`${head}Content-Length: ${body.length}\r\n\r\n${body}`);
    } else {
      let body = '';
      const n = 1 + int(r, 6);
      for (let j = 0; j < n; j++) {
        const d = 'y'.repeat(1 + int(r, r() < 0.8 ? 100 : 9000));
        body += d.length.toString(16) + (r() < 0.1 ? ';e=1' : '') + '\r\n' + d + '\r\n';
      }
      parts.push(`${head}Transfer-Encoding: chunked\r\n\r\n${body}0\r\n${r() < 0.1 ? 'T: 1\r\n' : ''}\r\n`);
    }
  }
  let s = parts.join('');
  if (r() < 0.3) s = mutateOnce(s, r, seeds);
  return s;
}

function randomBytes(r) {
  const n = int(r, 300);
  let s = '';
  if (r() < 0.5) {
    for (let i = 0; i < n; i++) s += String.fromCharCode(int(r, 256));
  } else {
    // Bytes from the request alphabet, so that some lines and heads form.
    const alphabet = 'GET /HTP1.0\r\n\r\n:; \tHost:a\r\nchunked0123456789abcdef%?=,"';
    for (let i = 0; i < n; i++) s += alphabet[int(r, alphabet.length)];
  }
  return s;
}

function lineStarts(s) {
  const starts = [0];
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** One mutation of `s`; `seeds` supplies the other side of splices. */
export function mutateOnce(s, r, seeds) {
  const at = int(r, s.length + 1);
  switch (int(r, 14)) {
    case 0: // replace a byte
      return s.slice(0, at) + String.fromCharCode(int(r, 256)) + s.slice(at + 1);
    case 1: { // flip a bit
      if (s.length === 0) return s;
      const i = Math.min(at, s.length - 1);
      return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << int(r, 8))) + s.slice(i + 1);
    }
    case 2: case 3: // insert an interesting token
      return s.slice(0, at) + pick(r, TOKENS) + s.slice(at);
    case 4: { // insert a token at a line start or line end
      const starts = lineStarts(s);
      const i = pick(r, starts);
      const j = r() < 0.5 ? i : Math.max(0, i - 2);
      return s.slice(0, j) + pick(r, TOKENS) + s.slice(j);
    }
    case 5: // delete a range
      return s.slice(0, at) + s.slice(at + 1 + int(r, r() < 0.8 ? 4 : 32));
    case 6: { // duplicate a range
      const len = 1 + int(r, r() < 0.7 ? 8 : 64);
      return s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
    }
    case 7: { // splice two seeds
      const other = pick(r, seeds);
      return s.slice(0, at) + other.slice(int(r, other.length + 1));
    }
    case 8: // truncate
      return s.slice(0, at);
    case 9: { // a long run
      const len = r() < 0.9 ? 1 + int(r, 300) : r() < 0.8 ? 1 + int(r, 9000) : 1 + int(r, 70000);
      return s.slice(0, at) + pick(r, ['a', ' ', '\t', '0', 'f', '\r\n', 'X: y\r\n', '\x00', '%41', ';']).repeat(len).slice(0, Math.max(len, 1)) + s.slice(at);
    }
    case 10: { // flip the case of a letter
      const i = Math.min(at, s.length - 1);
      const c = s.charCodeAt(i);
      if (!(c >= 0x41 && c <= 0x5a) && !(c >= 0x61 && c <= 0x7a)) return s;
      return s.slice(0, i) + String.fromCharCode(c ^ 0x20) + s.slice(i + 1);
    }
    case 11: { // insert a header line
      const starts = lineStarts(s);
      const i = starts.length > 1 ? starts[1 + int(r, starts.length - 1)] : 0;
      return s.slice(0, i) + header(r) + s.slice(i);
    }
    case 12: { // change a number
      const m = [...s.matchAll(/[0-9a-fA-F]+/g)];
      if (m.length === 0) return s;
      const hit = pick(r, m);
      const repl = pick(r, ['0', '1', '2', '5', 'a', 'A', '10', '000', '7fffffff', String(int(r, 100000)), hit[0] + '0', '-' + hit[0], '']);
      return s.slice(0, hit.index) + repl + s.slice(hit.index + hit[0].length);
    }
    default: { // pipeline: repeat the input or append another seed
      if (r() < 0.5) return s.repeat(2 + int(r, r() < 0.9 ? 4 : 60));
      return s + pick(r, seeds);
    }
  }
}

/**
 * The input for one iteration: { input (latin-1 string), cuts (read boundaries), kind }.
 * `seeds` are latin-1 strings.
 */
export function makeInput(seed, iteration, seeds) {
  const r = iterationRandom(seed, iteration);
  const mode = r();
  let input;
  let kind;
  if (mode < 0.03) {
    kind = 'random';
    input = randomBytes(r);
  } else if (mode < 0.07) {
    kind = 'pipeline';
    input = pipeline(r, seeds);
  } else if (mode < 0.22) {
    kind = 'generated';
    input = generateRequest(r);
    if (r() < 0.5) {
      const edits = 1 + int(r, 3);
      for (let e = 0; e < edits; e++) input = mutateOnce(input, r, seeds);
    }
  } else {
    kind = 'mutated';
    input = pick(r, seeds);
    const edits = 1 + int(r, r() < 0.8 ? 3 : 8);
    for (let e = 0; e < edits; e++) input = mutateOnce(input, r, seeds);
  }
  if (input.length > 300_000) input = input.slice(0, 300_000);
  const cuts = [];
  const c = r();
  if (c < 0.02 && input.length < 400) {
    for (let i = 1; i < input.length; i++) cuts.push(i); // one byte per read
  } else {
    const n = c < 0.4 ? 0 : c < 0.9 ? 1 + int(r, 3) : 1 + int(r, 40);
    for (let i = 0; i < n; i++) cuts.push(1 + int(r, Math.max(1, input.length - 1)));
  }
  return { input, cuts, kind };
}
