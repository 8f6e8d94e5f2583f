"""A real HTTP server on 127.0.0.1 with the misbehaviours of the real web, for fetch and links tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD = b"good bytes of a dataset file\n" * 100


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests: list[str]  # set per server by serve()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        type(self).requests.append(f"{self.command} {self.path}")
        path = self.path.split("?")[0]
        if path.endswith("/good.bin") or path == "/ok":
            self._send(200, GOOD)
        elif path.endswith("/wrong.bin"):
            self._send(200, b"x" * len(GOOD))
        elif path.endswith("/dropped.bin"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(GOOD)))
            self.end_headers()
            self.wfile.write(GOOD[:100])
            self.wfile.flush()
            self.close_connection = True
        elif path == "/limited":
            self._send(429, b"slow down", {"Retry-After": "86400"})
        elif path == "/slow":
            time.sleep(3)
            self._send(200, b"late")
        elif path.startswith("/loop/"):
            hop = int(path.rsplit("/", 1)[1])
            self._send(302, b"", {"Location": f"/loop/{hop + 1}"})
        elif path == "/forbidden":
            self._send(403, b"no robots")
        elif path == "/flaky":
            self._send(503, b"try later")
        elif path == "/no-head":
            if self.command == "HEAD":
                self._send(405)
            else:
                self._send(200, b"fine")
        else:
            self._send(404, b"not here")


@contextmanager
def serve() -> Iterator[tuple[str, list[str]]]:
    """(base URL on 127.0.0.1, list of requests seen)."""
    log: list[str] = []
    handler = type("LoggedHandler", (Handler,), {"requests": log})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", log
    finally:
        httpd.shutdown()
        httpd.server_close()
