// One code per failure, each with the status it answers and a reason that names what was wrong
// (llhttp's style). Request errors close the connection; response errors are the application's
// and become a 500 with the reason in the error log.

export const OK = 0;
// request line
export const E_METHOD = 1;
export const E_REQUEST_LINE = 2;
export const E_TARGET = 3;
export const E_TARGET_FORM = 4;
export const E_PERCENT = 5;
export const E_VERSION = 6;
export const E_VERSION_UNSUPPORTED = 7;
// head framing
export const E_BARE_LF = 8;
export const E_BARE_CR = 9;
export const E_OBS_FOLD = 10;
// fields
export const E_FIELD_NAME = 11;
export const E_FIELD_SPACE_BEFORE_COLON = 12;
export const E_FIELD_NO_COLON = 13;
export const E_FIELD_VALUE = 14;
export const E_HOST_MISSING = 15;
export const E_HOST_REPEATED = 16;
export const E_HOST_INVALID = 17;
export const E_CONTENT_LENGTH = 18;
export const E_CONTENT_LENGTH_REPEATED = 19;
export const E_CONTENT_LENGTH_WITH_TE = 20;
export const E_TE_HTTP10 = 21;
export const E_TE_NOT_CHUNKED = 22;
export const E_TE_CHUNKED_TWICE = 23;
export const E_TE_UNSUPPORTED = 24;
export const E_EXPECT = 25;
// body
export const E_CHUNK_SIZE = 26;
export const E_CHUNK_EXTENSION = 27;
export const E_CHUNK_LINE_END = 28;
export const E_CHUNK_DATA_END = 29;
export const E_TRAILER = 30;
// limits
export const E_REQUEST_LINE_TOO_LONG = 31;
export const E_FIELD_TOO_LONG = 32;
export const E_TOO_MANY_FIELDS = 33;
export const E_HEAD_TOO_LARGE = 34;
export const E_BODY_TOO_LARGE = 35;
// response (the application's side)
export const R_STATUS = 36;
export const R_FIELD_NAME = 37;
export const R_FIELD_VALUE = 38;
export const R_HOP_BY_HOP = 39;
export const R_CONTENT_LENGTH = 40;
export const R_HEAD_TOO_LARGE = 41;
export const R_TOO_MANY_FIELDS = 42;
// the host's own answers
export const E_INTERNAL = 43;
export const E_SERVICE_UNAVAILABLE = 44;
export const E_REQUEST_TIMEOUT = 45;
export const ERROR_COUNT = 46;

export function errorStatus(code: i32): i32 {
  switch (code) {
    case E_VERSION_UNSUPPORTED: return 505;
    case E_TE_UNSUPPORTED: return 501;
    case E_EXPECT: return 417;
    case E_REQUEST_LINE_TOO_LONG: return 414;
    case E_FIELD_TOO_LONG:
    case E_TOO_MANY_FIELDS:
    case E_HEAD_TOO_LARGE: return 431;
    case E_BODY_TOO_LARGE: return 413;
    case E_REQUEST_TIMEOUT: return 408;
    case E_SERVICE_UNAVAILABLE: return 503;
    default: return code >= R_STATUS ? 500 : 400;
  }
}

export function errorReason(code: i32): string {
  switch (code) {
    case E_METHOD: return "Invalid character in method";
    case E_REQUEST_LINE: return "Malformed request line";
    case E_TARGET: return "Invalid request target";
    case E_TARGET_FORM: return "Request target form not allowed for this method";
    case E_PERCENT: return "Malformed percent-encoding in request path";
    case E_VERSION: return "Malformed HTTP version";
    case E_VERSION_UNSUPPORTED: return "HTTP version not supported";
    case E_BARE_LF: return "Bare LF where CRLF is required";
    case E_BARE_CR: return "Bare CR in request head";
    case E_OBS_FOLD: return "Obsolete line folding in header field";
    case E_FIELD_NAME: return "Invalid header field name";
    case E_FIELD_SPACE_BEFORE_COLON: return "Whitespace between header field name and colon";
    case E_FIELD_NO_COLON: return "Header field line without a colon";
    case E_FIELD_VALUE: return "Invalid character in header field value";
    case E_HOST_MISSING: return "Missing Host header field";
    case E_HOST_REPEATED: return "More than one Host header field";
    case E_HOST_INVALID: return "Invalid Host header field";
    case E_CONTENT_LENGTH: return "Invalid Content-Length";
    case E_CONTENT_LENGTH_REPEATED: return "More than one Content-Length header field";
    case E_CONTENT_LENGTH_WITH_TE: return "Both Content-Length and Transfer-Encoding";
    case E_TE_HTTP10: return "Transfer-Encoding in an HTTP/1.0 request";
    case E_TE_NOT_CHUNKED: return "Transfer-Encoding does not end with chunked";
    case E_TE_CHUNKED_TWICE: return "Transfer-Encoding names chunked more than once";
    case E_TE_UNSUPPORTED: return "Unsupported transfer coding";
    case E_EXPECT: return "Unsupported expectation";
    case E_CHUNK_SIZE: return "Invalid chunk size";
    case E_CHUNK_EXTENSION: return "Invalid chunk extension";
    case E_CHUNK_LINE_END: return "Chunk size line not ended by CRLF";
    case E_CHUNK_DATA_END: return "Chunk data not followed by CRLF";
    case E_TRAILER: return "Invalid trailer field";
    case E_REQUEST_LINE_TOO_LONG: return "Request line too long";
    case E_FIELD_TOO_LONG: return "Header field too long";
    case E_TOO_MANY_FIELDS: return "Too many header fields";
    case E_HEAD_TOO_LARGE: return "Request head too large";
    case E_BODY_TOO_LARGE: return "Request body too large";
    case R_STATUS: return "Invalid status: expected three digits, a space and a reason phrase";
    case R_FIELD_NAME: return "Invalid response header name";
    case R_FIELD_VALUE: return "Invalid character in response header value";
    case R_HOP_BY_HOP: return "Hop-by-hop header in response";
    case R_CONTENT_LENGTH: return "Invalid or repeated Content-Length in response";
    case R_HEAD_TOO_LARGE: return "Response head too large";
    case R_TOO_MANY_FIELDS: return "Too many response header fields";
    case E_INTERNAL: return "Internal Server Error";
    case E_SERVICE_UNAVAILABLE: return "Service Unavailable";
    case E_REQUEST_TIMEOUT: return "Request Timeout";
    default: return "Bad Request";
  }
}

export function statusPhrase(status: i32): string {
  switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}
