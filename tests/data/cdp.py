#!/usr/bin/env python3
"""cdp.py: a fault-injecting HTTP server standing in for CAs' CRL
distribution points in the end-to-end tests (python3 stdlib only).

    python3 cdp.py --root DIR --port-file FILE [--bind 127.0.0.1] [--verbose]

It listens on an ephemeral port of the bind address, writes that port and a
newline to FILE atomically (temporary file + rename) once listening, and
serves until killed (SIGTERM and SIGINT exit cleanly). HTTP/1.1 with
keep-alive; every response has a correct Content-Length unless it is
chunked or deliberately broken.

Normal behaviour, GET and HEAD of a path under DIR: the file, with
Content-Type application/pkix-crl (*.crl), application/xml (*.xml) or
application/octet-stream, ETag "<sha256 hex of the content>" and
Last-Modified (the file's mtime). If-None-Match naming that ETag, or else
If-Modified-Since not older than the mtime, gives 304 without a body.
Missing files (and directories) give 404; paths with ".." or leaving DIR
are refused with 404 too.

Control API (never logged):
    POST /_fault      JSON {"path": "/crl/a.crl", "mode": MODE, ...}: the
                      fault of that request path (the query string is
                      ignored when matching), replacing any previous one;
                      mode "ok" clears it. 200 {"ok": true}, or 400.
    POST /_reset      clears every fault.
    GET  /_log        JSON array of the requests served so far, in arrival
                      order: {"path" (with the query), "method", "status"
                      (null while no status line was sent), "if_none_match",
                      "if_modified_since", "user_agent" (each null when
                      absent), "sent" (body bytes written so far; updated
                      live), "fault" (mode or null), "time" (arrival, Unix
                      seconds)}.
    POST /_log/clear  empties the log.

Modes (extra JSON fields in quotes, with their defaults):
    status        "code" (500): that status with a short text body.
    hang          "seconds" (30): read the request, send nothing, then
                  close the connection.
    stall         "seconds" (30): 200 with the real Content-Length and the
                  first half of the body, then stall, then close.
    truncate      200 with the full Content-Length but only the first half
                  of the body, then close.
    html          200 text/html: an error page (a captive portal, a CDN).
    redirect      "to" (required): 302 to that path on this server.
    redirect_loop 302 to the same path with ?n=K+1 (K from the request's
                  own ?n=, else 0): never ends.
    big           "bytes" (64 MiB), "chunked" (false): 200 with that many
                  body bytes, 0x30 0x84 and a 4-byte length (a DER
                  SEQUENCE header) then zeros, with Content-Length or with
                  Transfer-Encoding: chunked. Written in 64 KiB pieces; a
                  client that goes away just ends it ("sent" in the log
                  says how far it got).
    serve         "file" (required, relative to DIR): that file's content
                  and ETag (conditional requests included) instead.
    not_modified  always 304.
    gzip          200 with the file gzip-compressed (Content-Encoding: gzip).
    slow          "rate" (1000): the real file at that many bytes a second.

Every sleep is bounded: at most 60 s in all per request, after which the
connection is closed (so a slow transfer longer than 60 s is cut short).
"""

import argparse
import email.utils
import gzip
import hashlib
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SLEEP = 60.0  # seconds of sleeping per request, in all
PIECE = 64 * 1024  # bytes per write
DEFAULT_BIG = 64 * 1024 * 1024

CONTENT_TYPES = {
    ".crl": "application/pkix-crl",
    ".xml": "application/xml",
}

HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>Service temporarily unavailable</h1>
<p>The origin server did not answer. Please log in to the network or try
again later.</p></body></html>
"""

# mode -> {field: (type check, default)}; default None means required.
MODES = {
    "ok": {},
    "status": {"code": (lambda v: _is_int(v) and 200 <= v <= 599, 500)},
    "hang": {"seconds": (lambda v: _is_number(v) and v >= 0, 30)},
    "stall": {"seconds": (lambda v: _is_number(v) and v >= 0, 30)},
    "truncate": {},
    "html": {},
    "redirect": {"to": (lambda v: isinstance(v, str) and v.startswith("/"), None)},
    "redirect_loop": {},
    "big": {
        "bytes": (lambda v: _is_int(v) and 0 <= v < 2**32 + 6, DEFAULT_BIG),
        "chunked": (lambda v: isinstance(v, bool), False),
    },
    "serve": {"file": (lambda v: isinstance(v, str) and v != "", None)},
    "not_modified": {},
    "gzip": {},
    "slow": {"rate": (lambda v: _is_number(v) and v > 0, 1000)},
}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class ClientGone(Exception):
    """The client closed the connection or stopped reading."""


class State:
    """Faults by path and the request log, shared by all threads."""

    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.lock = threading.Lock()
        self.faults = {}
        self.log = []

    def set_fault(self, spec):
        """Validates a /_fault body; returns an error text or None."""
        if not isinstance(spec, dict):
            return "the body must be a JSON object"
        path, mode = spec.get("path"), spec.get("mode")
        if not isinstance(path, str) or not path.startswith("/"):
            return '"path" must be a string starting with /'
        if mode not in MODES:
            return "unknown mode %r" % (mode,)
        fault = {"mode": mode}
        for field, (check, default) in MODES[mode].items():
            if field in spec:
                if not check(spec[field]):
                    return "bad %r for mode %s" % (field, mode)
                fault[field] = spec[field]
            elif default is None:
                return "mode %s needs %r" % (mode, field)
            else:
                fault[field] = default
        with self.lock:
            if mode == "ok":
                self.faults.pop(path, None)
            else:
                self.faults[path] = fault
        return None

    def fault_of(self, path):
        with self.lock:
            return self.faults.get(path)

    def reset(self):
        with self.lock:
            self.faults.clear()

    def record(self, entry):
        with self.lock:
            self.log.append(entry)

    def update(self, entry, **fields):
        with self.lock:
            entry.update(fields)

    def log_json(self):
        with self.lock:
            return json.dumps(self.log).encode()

    def clear_log(self):
        with self.lock:
            self.log.clear()

    def resolve(self, rel):
        """The real path of `rel` under the root, or None."""
        rel = rel.lstrip("/")
        parts = rel.split("/")
        if "\0" in rel or ".." in parts:
            return None
        full = os.path.realpath(os.path.join(self.root, rel))
        if full != self.root and not full.startswith(self.root + os.sep):
            return None
        return full if os.path.isfile(full) else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "otzyv-test-cdp/1"
    timeout = 120  # idle keep-alive connections and blocked writes
    disable_nagle_algorithm = True  # headers and body go out at once

    # ---- plumbing --------------------------------------------------------

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("cdp: %s\n" % (fmt % args))

    @property
    def state(self):
        return self.server.state

    def nap(self, seconds):
        """Sleeps, within what is left of the per-request budget."""
        s = max(0.0, min(float(seconds), self.sleep_left))
        self.sleep_left -= s
        time.sleep(s)

    def start(self, code, headers=(), length=None):
        """Status line and headers; length None sends no Content-Length."""
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.entry is not None:
            self.state.update(self.entry, status=code)

    def write(self, data):
        """Writes body bytes (nothing for HEAD), counting them."""
        if self.command == "HEAD" or not data:
            return
        view = memoryview(data)
        for off in range(0, len(view), PIECE):
            piece = view[off:off + PIECE]
            try:
                self.wfile.write(piece)
            except OSError as e:
                self.close_connection = True
                raise ClientGone() from e
            if self.entry is not None:
                self.state.update(self.entry, sent=self.entry["sent"] + len(piece))

    def simple(self, code, body, ctype="text/plain; charset=utf-8", headers=()):
        """A complete response with a small body (none for 1xx/204/304)."""
        if code < 200 or code in (204, 304):
            self.start(code, headers)
            return
        self.start(code, [("Content-Type", ctype)] + list(headers), len(body))
        self.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    # ---- entry points ----------------------------------------------------

    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def dispatch(self):
        self.entry = None
        self.sleep_left = MAX_SLEEP
        split = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(split.path)
        try:
            if path.startswith("/_"):
                self.control(path)
            else:
                self.serve_request(path, split.query)
        except ClientGone:
            pass

    # ---- control API -----------------------------------------------------

    def control(self, path):
        body = self.read_body()
        route = (self.command, path)
        if route == ("GET", "/_log"):
            self.simple(200, self.state.log_json(), "application/json")
        elif route == ("POST", "/_log/clear"):
            self.state.clear_log()
            self.reply_ok()
        elif route == ("POST", "/_reset"):
            self.state.reset()
            self.reply_ok()
        elif route == ("POST", "/_fault"):
            try:
                spec = json.loads(body or b"null")
            except ValueError as e:
                self.simple(400, ("bad JSON: %s\n" % e).encode())
                return
            err = self.state.set_fault(spec)
            if err:
                self.simple(400, (err + "\n").encode())
            else:
                self.reply_ok()
        else:
            self.simple(404, b"no such control endpoint\n")

    def reply_ok(self):
        self.simple(200, b'{"ok": true}\n', "application/json")

    # ---- serving ---------------------------------------------------------

    def serve_request(self, path, query):
        if self.command == "POST":
            self.read_body()
            self.simple(405, b"method not allowed\n", headers=[("Allow", "GET, HEAD")])
            return
        fault = self.state.fault_of(path)
        self.entry = {
            "path": self.path,
            "method": self.command,
            "status": None,
            "if_none_match": self.headers.get("If-None-Match"),
            "if_modified_since": self.headers.get("If-Modified-Since"),
            "user_agent": self.headers.get("User-Agent"),
            "sent": 0,
            "fault": fault["mode"] if fault else None,
            "time": time.time(),
        }
        self.state.record(self.entry)
        if fault is None:
            self.serve_file(path)
        else:
            getattr(self, "fault_" + fault["mode"])(path, query, fault)

    def load(self, rel):
        """(content, etag, mtime, content type) of a file, or None."""
        full = self.state.resolve(rel)
        if full is None:
            return None
        try:
            with open(full, "rb") as f:
                data = f.read()
            mtime = os.stat(full).st_mtime
        except OSError:
            return None
        ext = os.path.splitext(full)[1].lower()
        ctype = CONTENT_TYPES.get(ext, "application/octet-stream")
        return data, '"%s"' % hashlib.sha256(data).hexdigest(), mtime, ctype

    def not_modified(self, etag, mtime):
        """Whether the request's conditions say 304 (RFC 7232 order)."""
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            return etag in tags or "*" in tags
        ims = self.headers.get("If-Modified-Since")
        if ims is not None:
            try:
                when = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
            return int(mtime) <= when
        return False

    def validators(self, etag, mtime):
        return [("ETag", etag),
                ("Last-Modified", email.utils.formatdate(mtime, usegmt=True))]

    def serve_file(self, rel):
        f = self.load(rel)
        if f is None:
            self.simple(404, b"not found\n")
            return
        data, etag, mtime, ctype = f
        if self.not_modified(etag, mtime):
            self.start(304, self.validators(etag, mtime))
            return
        self.start(200, [("Content-Type", ctype)] + self.validators(etag, mtime), len(data))
        self.write(data)

    def loaded_or_404(self, rel):
        f = self.load(rel)
        if f is None:
            self.simple(404, b"not found\n")
        return f

    # ---- faults: fault_MODE(path, query, fault) --------------------------

    def fault_status(self, path, query, fault):
        code = fault["code"]
        self.simple(code, ("fault: status %d\n" % code).encode())

    def fault_hang(self, path, query, fault):
        self.nap(fault["seconds"])
        self.close_connection = True

    def half_body(self, path, then_sleep):
        f = self.loaded_or_404(path)
        if f is None:
            return
        data, etag, mtime, ctype = f
        self.start(200, [("Content-Type", ctype)] + self.validators(etag, mtime), len(data))
        self.write(data[:len(data) // 2])
        self.close_connection = True
        if then_sleep:
            self.nap(then_sleep)

    def fault_stall(self, path, query, fault):
        self.half_body(path, fault["seconds"])

    def fault_truncate(self, path, query, fault):
        self.half_body(path, 0)

    def fault_html(self, path, query, fault):
        self.simple(200, HTML_PAGE, "text/html; charset=utf-8")

    def location(self, target):
        host = self.headers.get("Host")
        return "http://%s%s" % (host, target) if host else target

    def fault_redirect(self, path, query, fault):
        to = fault["to"]
        self.simple(302, ("see %s\n" % to).encode(),
                    headers=[("Location", self.location(to))])

    def fault_redirect_loop(self, path, query, fault):
        try:
            n = int(urllib.parse.parse_qs(query).get("n", ["0"])[0])
        except ValueError:
            n = 0
        to = "%s?n=%d" % (urllib.parse.quote(path), n + 1)
        self.simple(302, ("see %s\n" % to).encode(),
                    headers=[("Location", self.location(to))])

    def fault_big(self, path, query, fault):
        total, chunked = fault["bytes"], fault["chunked"]
        head = b"\x30\x84" + max(0, total - 6).to_bytes(4, "big")
        headers = [("Content-Type", "application/pkix-crl")]
        if chunked:
            self.start(200, headers + [("Transfer-Encoding", "chunked")])
        else:
            self.start(200, headers, total)
        if self.command == "HEAD":
            return
        first, zeros = (head + bytes(PIECE))[:PIECE], bytes(PIECE)
        done = 0
        while done < total:
            n = min(PIECE, total - done)
            piece = first[:n] if done == 0 else zeros[:n]
            done += n
            if chunked:
                self.raw(b"%x\r\n" % len(piece))
            self.write(piece)
            if chunked:
                self.raw(b"\r\n")
        if chunked:
            self.raw(b"0\r\n\r\n")

    def raw(self, data):
        """Framing bytes: written but not counted as body."""
        try:
            self.wfile.write(data)
        except OSError as e:
            self.close_connection = True
            raise ClientGone() from e

    def fault_serve(self, path, query, fault):
        self.serve_file(fault["file"])

    def fault_gzip(self, path, query, fault):
        f = self.loaded_or_404(path)
        if f is None:
            return
        data, etag, mtime, ctype = f
        body = gzip.compress(data)
        self.start(200, [("Content-Type", ctype), ("Content-Encoding", "gzip")]
                   + self.validators(etag, mtime), len(body))
        self.write(body)

    def fault_not_modified(self, path, query, fault):
        f = self.load(path)
        self.start(304, self.validators(f[1], f[2]) if f else [])

    def fault_slow(self, path, query, fault):
        f = self.loaded_or_404(path)
        if f is None:
            return
        data, etag, mtime, ctype = f
        rate = float(fault["rate"])
        self.start(200, [("Content-Type", ctype)] + self.validators(etag, mtime), len(data))
        if self.command == "HEAD":
            return
        tick = 0.1
        piece = max(1, int(rate * tick))
        off = 0
        while off < len(data):
            if self.sleep_left <= 0:
                self.close_connection = True  # the 60 s budget is spent
                return
            self.write(data[off:off + piece])
            off += piece
            if off < len(data):
                self.nap(piece / rate)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, state, verbose):
        self.state = state
        self.verbose = verbose
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        # Clients that vanish mid-request are part of the tests.
        if self.verbose:
            super().handle_error(request, client_address)


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fault-injecting CRL distribution point.")
    ap.add_argument("--root", required=True, help="directory served")
    ap.add_argument("--port-file", required=True, help="where to write the port")
    ap.add_argument("--bind", default="127.0.0.1", help="address (default 127.0.0.1)")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.root):
        ap.error("--root %s is not a directory" % args.root)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server = Server((args.bind, 0), State(args.root), args.verbose)
    try:
        write_port_file(args.port_file, server.server_address[1])
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
