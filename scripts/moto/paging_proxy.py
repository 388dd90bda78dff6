#!/usr/bin/env python3
"""HTTP proxy in front of moto that adds AWS paging to GetExecutionHistory.

moto runs real ASL executions and records a real event history, but its
Step Functions GetExecutionHistory ignores `maxResults`, `nextToken` and
`reverseOrder`: it always returns every event in forward order and never a
`nextToken`. Code that pages through history (as the AWS SDKs and sagaview
do against real AWS) is therefore never exercised against moto.

This proxy forwards every request to the moto server unchanged, except
`AWSStepFunctions.GetExecutionHistory`: it strips the three paging fields,
takes moto's full history and applies AWS's documented paging semantics to it:

* `maxResults` 1..1000 (0 or absent means the default, 100); anything else is
  a ValidationException;
* `reverseOrder` (default false) returns the events newest first;
* `nextToken` is present only when more events follow. It is opaque (urlsafe
  base64 of `{"executionArn", "offset", "reverseOrder"}`); a token that does
  not decode, or was issued for another execution or another order, gets
  HTTP 400 `InvalidToken`.

It also counts requests per `X-Amz-Target` and the history events served:
`GET /_proxy/stats` returns `{"calls": {target: n}, "historyEventsServed": n}`
and `POST /_proxy/reset` zeroes the counters.

Usage: paging_proxy.py --upstream http://127.0.0.1:5000 [--port 0]
Prints `listening on http://127.0.0.1:PORT` once the socket is bound.

Standard library only.
"""

import argparse
import base64
import binascii
import gzip
import http.client
import json
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HISTORY_TARGET = "AWSStepFunctions.GetExecutionHistory"
DEFAULT_MAX_RESULTS = 100
MAX_MAX_RESULTS = 1000
UPSTREAM_TIMEOUT = 300

# Never forwarded in either direction (RFC 9110 section 7.6.1), plus headers the
# proxy recomputes itself.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "expect",
}
REQUEST_DROP = HOP_BY_HOP | {"host", "content-length"}
RESPONSE_DROP = HOP_BY_HOP | {"content-length"}
NO_BODY_STATUSES = {204, 304}


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self._calls = {}
        self._events = 0

    def count_call(self, target):
        with self._lock:
            self._calls[target] = self._calls.get(target, 0) + 1

    def count_events(self, n):
        with self._lock:
            self._events += n

    def snapshot(self):
        with self._lock:
            return {"calls": dict(sorted(self._calls.items())), "historyEventsServed": self._events}

    def reset(self):
        with self._lock:
            self._calls.clear()
            self._events = 0


class ClientError(Exception):
    """An AWS-style JSON error returned by the proxy itself."""

    def __init__(self, status, error_type, message):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


def encode_token(execution_arn, offset, reverse_order):
    raw = json.dumps(
        {"executionArn": execution_arn, "offset": offset, "reverseOrder": reverse_order},
        separators=(",", ":"),
    ).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_token(token, execution_arn, reverse_order):
    """Offset encoded in `token`, checked against this request."""
    try:
        if not isinstance(token, str):
            raise ValueError("not a string")
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("bad payload")
        offset = data["offset"]
        if type(offset) is not int or offset < 0:
            raise ValueError("bad offset")
        token_arn = data["executionArn"]
        token_reverse = data["reverseOrder"]
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error):
        raise ClientError(400, "InvalidToken", "Invalid Token: the token could not be decoded")
    if token_arn != execution_arn:
        raise ClientError(400, "InvalidToken", "Invalid Token: the token was issued for another execution")
    if token_reverse is not reverse_order:
        raise ClientError(400, "InvalidToken", "Invalid Token: the token was issued with a different reverseOrder")
    return offset


def parse_max_results(value):
    if value is None:
        return DEFAULT_MAX_RESULTS
    if type(value) is not int:
        raise ClientError(
            400,
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy "
            "constraint: Member must be an integer",
        )
    if value < 0 or value > MAX_MAX_RESULTS:
        bound = "greater than or equal to 0" if value < 0 else f"less than or equal to {MAX_MAX_RESULTS}"
        raise ClientError(
            400,
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value {bound}",
        )
    return value or DEFAULT_MAX_RESULTS


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "paging-proxy"

    # Set on the class by main().
    upstream = None  # urllib.parse.SplitResult
    stats = None  # Stats

    # -- plumbing ---------------------------------------------------------

    def log_message(self, format, *args):  # noqa: A002 - signature from BaseHTTPRequestHandler
        pass

    def log_error(self, format, *args):  # noqa: A002
        sys.stderr.write("paging_proxy: %s\n" % (format % args))

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise ClientError(400, "BadRequest", "invalid Content-Length")
        if n < 0:
            raise ClientError(400, "BadRequest", "invalid Content-Length")
        body = self.rfile.read(n)
        if len(body) != n:
            raise ClientError(400, "BadRequest", "request body shorter than Content-Length")
        return body

    def _read_chunked(self):
        parts = []
        while True:
            line = self.rfile.readline(65537)
            if not line:
                raise ClientError(400, "BadRequest", "truncated chunked body")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ClientError(400, "BadRequest", "bad chunk size")
            if size == 0:
                # Trailer section ends with an empty line.
                while True:
                    trailer = self.rfile.readline(65537)
                    if trailer in (b"\r\n", b"\n", b""):
                        break
                return b"".join(parts)
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise ClientError(400, "BadRequest", "truncated chunk")
            parts.append(chunk)
            self.rfile.readline(65537)  # CRLF after the chunk data

    def _forward_headers(self, drop_extra=()):
        connection_tokens = {
            t.strip().lower() for t in self.headers.get("Connection", "").split(",") if t.strip()
        }
        drop = REQUEST_DROP | connection_tokens | set(drop_extra)
        return [(k, v) for k, v in self.headers.items() if k.lower() not in drop]

    def _upstream_request(self, body, headers):
        up = self.upstream
        path = (up.path.rstrip("/") + self.path) if up.path not in ("", "/") else self.path
        conn_cls = http.client.HTTPSConnection if up.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(up.hostname, up.port, timeout=UPSTREAM_TIMEOUT)
        try:
            conn.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
            host = up.hostname if up.port is None else f"{up.hostname}:{up.port}"
            conn.putheader("Host", host)
            for k, v in headers:
                conn.putheader(k, v)
            if body or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()

    def _send(self, status, reason, headers, body, head_content_length=None):
        self.send_response_only(status, reason)
        for k, v in headers:
            if k.lower() in RESPONSE_DROP:
                continue
            self.send_header(k, v)
        if status in NO_BODY_STATUSES or 100 <= status < 200:
            body = b""
        elif self.command == "HEAD":
            if head_content_length is not None:
                self.send_header("Content-Length", head_content_length)
            body = b""
        else:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.wfile.flush()

    def _send_json(self, status, obj, extra_headers=(), content_type="application/json"):
        body = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        headers = [("Content-Type", content_type)] + list(extra_headers)
        self._send(status, http.client.responses.get(status, ""), headers, body)

    def _send_aws_error(self, err):
        self._send_json(
            err.status,
            {"__type": err.error_type, "message": err.message},
            extra_headers=[("x-amzn-ErrorType", err.error_type)],
            content_type="application/x-amz-json-1.0",
        )

    # -- dispatch ---------------------------------------------------------

    def _handle(self):
        try:
            body = self._read_body()
        except ClientError as e:
            self.close_connection = True
            self._send_aws_error(e)
            return

        split = urllib.parse.urlsplit(self.path)
        if split.path == "/_proxy/stats" and self.command == "GET":
            self._send_json(200, self.stats.snapshot())
            return
        if split.path == "/_proxy/reset" and self.command == "POST":
            self.stats.reset()
            self._send_json(200, self.stats.snapshot())
            return

        target = self.headers.get("X-Amz-Target")
        if target:
            self.stats.count_call(target.strip())
        try:
            if self.command == "POST" and target and target.strip() == HISTORY_TARGET:
                self._history(body)
            else:
                self._passthrough(body)
        except ClientError as e:
            self._send_aws_error(e)
        except (OSError, http.client.HTTPException) as e:
            self.log_error("upstream error for %s %s: %r", self.command, self.path, e)
            self._send_json(502, {"__type": "BadGateway", "message": f"upstream request failed: {e}"})

    def _passthrough(self, body):
        status, reason, headers, data = self._upstream_request(body, self._forward_headers())
        head_len = None
        if self.command == "HEAD":
            head_len = next((v for k, v in headers if k.lower() == "content-length"), None)
        self._send(status, reason, headers, data, head_content_length=head_len)

    def _history(self, body):
        encoding = self.headers.get("Content-Encoding", "").strip().lower()
        raw = body
        if encoding == "gzip":
            try:
                raw = gzip.decompress(body)
            except (OSError, EOFError):
                raise ClientError(400, "SerializationException", "request body is not valid gzip")
        elif encoding not in ("", "identity"):
            self._passthrough(body)
            return
        try:
            request = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError):
            raise ClientError(400, "SerializationException", "request body is not valid JSON")
        if not isinstance(request, dict):
            raise ClientError(400, "SerializationException", "request body is not a JSON object")

        execution_arn = request.get("executionArn")
        max_results = parse_max_results(request.get("maxResults"))
        reverse_order = bool(request.get("reverseOrder", False))
        token = request.get("nextToken")
        offset = 0 if token is None else decode_token(token, execution_arn, reverse_order)

        upstream_request = {
            k: v for k, v in request.items() if k not in ("maxResults", "nextToken", "reverseOrder")
        }
        forward_body = json.dumps(upstream_request, separators=(",", ":")).encode("utf-8")
        headers = self._forward_headers(drop_extra=("content-encoding", "accept-encoding"))
        status, reason, resp_headers, data = self._upstream_request(forward_body, headers)
        if status != 200:
            self._send(status, reason, resp_headers, data)
            return
        try:
            upstream = json.loads(data.decode("utf-8"))
            events = upstream["events"]
            if not isinstance(events, list):
                raise TypeError("events is not a list")
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
            self.log_error("unexpected GetExecutionHistory response: %r", e)
            self._send(status, reason, resp_headers, data)
            return

        if reverse_order:
            events = list(reversed(events))
        if offset > len(events):
            raise ClientError(400, "InvalidToken", "Invalid Token: the token is past the end of the history")
        page = events[offset : offset + max_results]
        result = {"events": page}
        end = offset + len(page)
        if end < len(events):
            result["nextToken"] = encode_token(execution_arn, end, reverse_order)
        self.stats.count_events(len(page))
        out = json.dumps(result, separators=(",", ":")).encode("utf-8")
        self._send(status, reason, resp_headers, out)

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_DELETE = _handle
    do_HEAD = _handle
    do_PATCH = _handle
    do_OPTIONS = _handle


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Proxy to moto that pages GetExecutionHistory the way AWS does."
    )
    p.add_argument("--upstream", required=True, help="moto server URL, e.g. http://127.0.0.1:5000")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = pick a free one)")
    args = p.parse_args(argv)

    upstream = urllib.parse.urlsplit(args.upstream)
    if upstream.scheme not in ("http", "https") or not upstream.hostname:
        p.error("--upstream must be an http:// or https:// URL")

    ProxyHandler.upstream = upstream
    ProxyHandler.stats = Stats()

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128

    try:
        server = Server(("127.0.0.1", args.port), ProxyHandler)
    except OSError as e:
        print(f"paging_proxy: cannot listen on 127.0.0.1:{args.port}: {e}", file=sys.stderr)
        return 1

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
