# The benchmark applications for the Python WSGI servers (gunicorn, waitress): the same responses
# as examples/hello.mjs, examples/echo_body.mjs and bench/apps/big.mjs.

BIG = b"x" * 65536


def hello(environ, start_response):
    start_response("200 OK", [("Content-type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def echo(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    start_response("200 OK", [
        ("Content-Type", environ.get("CONTENT_TYPE") or "application/octet-stream"),
        ("Content-Length", str(len(body))),
    ])
    return [body]


def big(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BIG)))])
    return [BIG]
