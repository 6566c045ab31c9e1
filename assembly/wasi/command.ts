// wasgi-parse: a WASI command (preview1) around the server's own parser.
//
//   wasgi-parse < requests.bin
//
// Reads raw HTTP/1.1 request bytes on stdin until EOF, feeding them to the core as reads into its
// window, and writes one JSON object per request on stdout, one per line: the CGI keys of the
// environ the server would build (REQUEST_METHOD, SCRIPT_NAME, PATH_INFO, QUERY_STRING,
// SERVER_PROTOCOL, CONTENT_TYPE, CONTENT_LENGTH, HTTP_*), RAW_URI, and "body" (the decoded body,
// base64). Strings are the request's latin-1 bytes as Unicode code points, in UTF-8.
//
// A rejected request ends the stream: {"error":CODE,"reason":TEXT,"status":NNN,"offset":N}
// (offset: where the failing request starts in the input) and exit status 1. Input that ends
// inside a request is the error code 0, "incomplete request". A request that ends the connection
// (Connection: close, HTTP/1.0) ends the output; what follows it is read and ignored.

import * as L from "../layout";
import * as D from "./driver";
import * as E from "./environ";
import * as J from "./json";
import { alloc, mark, release } from "./region";
import { RQ_FLAGS, RQ_METHOD, RQ_TARGET, RQ_PATH, RQ_QUERY, RQ_BODY, FIELD_VALUE, fieldAt, fieldCount, spanAt, spanLength } from "./request";
import { read, exit } from "./stdio";

function span(at: usize): void {
  J.latin1String(spanAt(at), spanLength(at));
}

function writeRequest(r: usize): void {
  const flags = load<u32>(r + RQ_FLAGS);
  J.byte(0x7b);
  J.key("REQUEST_METHOD"); span(r + RQ_METHOD);
  J.byte(0x2c); J.key("SCRIPT_NAME"); J.ascii("\"\"");
  J.byte(0x2c); J.key("PATH_INFO"); span(r + RQ_PATH);
  J.byte(0x2c); J.key("QUERY_STRING"); span(r + RQ_QUERY);
  J.byte(0x2c); J.key("SERVER_PROTOCOL"); J.ascii((flags & L.F_HTTP11) != 0 ? "\"HTTP/1.1\"" : "\"HTTP/1.0\"");
  J.byte(0x2c); J.key("RAW_URI"); span(r + RQ_TARGET);
  // Header fields in order of first appearance, under their environ keys.
  const count = fieldCount(r);
  for (let i = 0; i < count; i++) {
    if (!E.opensKey(r, i)) continue;
    J.byte(0x2c); J.byte(0x22);
    J.wrote(E.keyOf(J.room(E.keyLength(r, i)), r, i));
    J.ascii("\":\"");
    const value = fieldAt(r, i) + FIELD_VALUE;
    J.latin1Chars(spanAt(value), spanLength(value));
    for (let j = E.nextOfKey(r, i, i); j >= 0; j = E.nextOfKey(r, i, j)) {
      const more = fieldAt(r, j) + FIELD_VALUE;
      J.ascii(E.joinerOf(r, i));
      J.latin1Chars(spanAt(more), spanLength(more));
    }
    J.byte(0x22);
  }
  J.byte(0x2c); J.key("body"); J.base64(spanAt(r + RQ_BODY), spanLength(r + RQ_BODY));
  J.byte(0x7d); J.byte(0x0a);
}

function writeError(): void {
  const code = D.errorCode;
  J.byte(0x7b);
  J.key("error"); J.decimal(<u64>code);
  J.byte(0x2c); J.key("reason"); J.textString(D.reasonOf(code));
  J.byte(0x2c); J.key("status"); J.decimal(<u64>D.statusOf(code));
  J.byte(0x2c); J.key("offset"); J.decimal(D.errorOffset);
  J.byte(0x7d); J.byte(0x0a);
}

function main(): void {
  D.begin(); // before any WASI call: it lays out the core
  J.startOutput();
  const kept = mark();
  while (!D.closed) {
    const n = read(D.readAddress(), D.readSpace());
    if (n == 0) D.finishInput();
    else D.fed(n);
    // Finished requests are written at once; their copies are dropped unless a body is still
    // arriving behind them.
    for (let r = D.takeDone(); r != 0; r = D.takeDone()) writeRequest(r);
    if (!D.inRequest()) release(kept);
  }
  if (D.failed) writeError();
  J.flush();
  // The rest of the input is read and dropped, so a writer on a pipe sees it all taken.
  const sink = alloc(65536, 64);
  while (read(sink, 65536) > 0) {}
  if (D.failed) exit(1);
}

main();
