"""A real HTTP server on 127.0.0.1 with the misbehaviours of the real web, for fetch and links tests.

Outbound requests refuse loopback addresses (catalog.netguard); `serve()` opens its own port
through the test-only allowance unless `allowed=False`, which makes it an "internal" service
that the tests show is never reached.
"""

from __future__ import annotations

import gzip
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from catalog.netguard import allow_loopback_for_tests

GOOD = b"good bytes of a dataset file\n" * 100
BOMB_BYTES = 1 << 30  # what the gzip bomb decompresses to


def gzip_bomb() -> bytes:
    """About 1 MiB of gzip that inflates to BOMB_BYTES of zeros: 1024 members of 1 MiB each."""
    member = gzip.compress(bytes(1 << 20), 9)
    return member * (BOMB_BYTES >> 20)


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
        if path.startswith("/hop/"):  # /hop/PORT/...: a redirect to another loopback port
            port = path.split("/")[2]
            self._send(302, b"", {"Location": f"http://127.0.0.1:{port}/internal-admin"})
        elif path.endswith("/good.bin") or path == "/ok":
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
        elif path == "/redirect":  # ?to=URL: a redirect to wherever the test says
            target = parse_qs(urlsplit(self.path).query)["to"][0]
            self._send(302, b"", {"Location": target})
        elif path == "/internal-admin":
            self._send(200, b"internal secrets")
        elif "bomb" in path:
            self._send(200, gzip_bomb(), {"Content-Encoding": "gzip"})
        elif "endless" in path:  # chunked, never ends
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            block = b"z" * 65536
            try:
                while True:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            except OSError:
                self.close_connection = True
        elif path.endswith("/drip.bin"):  # a byte every DRIP seconds, for ever
            self.send_response(200)
            self.send_header("Content-Length", str(len(GOOD)))
            self.end_headers()
            try:
                for byte in GOOD:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(DRIP)
            except OSError:
                self.close_connection = True
        elif path.endswith("/badlength.bin"):
            self.send_response(200)
            self.send_header("Content-Length", "abc")
            self.end_headers()
            self.wfile.write(GOOD)
            self.close_connection = True
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


DRIP = 0.4  # seconds between the bytes of /drip.bin


def self_signed(folder: Path, *names: str) -> tuple[Path, Path]:
    """A certificate for `names` (its own CA, valid two days) and its key, made by openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    request = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    names_ext = "subjectAltName=" + ",".join(f"DNS:{name}" for name in names)
    files = ["-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={names[0]}", "-addext", names_ext]
    subprocess.run([*request, *files], check=True, capture_output=True)
    return cert, key


@contextmanager
def serve(*, allowed: bool = True, tls: tuple[Path, Path] | None = None) -> Iterator[tuple[str, list[str]]]:
    """(base URL on 127.0.0.1, list of requests seen); `allowed`: reachable through the test allowance;
    `tls`: (certificate, key) to speak HTTPS (the base URL still names 127.0.0.1 and http)."""
    log: list[str] = []
    handler = type("LoggedHandler", (Handler,), {"requests": log})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port = int(httpd.server_address[1])
    try:
        if allowed:
            with allow_loopback_for_tests(port):
                yield f"http://127.0.0.1:{port}", log
        else:
            yield f"http://127.0.0.1:{port}", log
    finally:
        httpd.shutdown()
        httpd.server_close()
