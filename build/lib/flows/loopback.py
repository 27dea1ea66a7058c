"""A small HTTP server on 127.0.0.1 and a free port, in a thread: the base of the demo site and the test sites."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackSite:
    """Subclasses implement `handle(handler, path)`, answering with `respond` (or anything lower-level)."""

    protocol_version = "HTTP/1.0"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[str] = []
        self.request_times: list[tuple[float, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = site.protocol_version

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                path = self.path.split("?")[0]
                site.requests.append(path)
                site.request_times.append((time.monotonic(), path))
                try:
                    site.handle(self, path)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                """A form post (a CMS's list endpoint): its body is on the handler as `form_body`."""
                length = int(self.headers.get("Content-Length") or 0)
                self.form_body = self.rfile.read(min(length, 1_000_000)).decode("utf-8", "replace")
                self.do_GET()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, h: BaseHTTPRequestHandler, path: str) -> None:
        raise NotImplementedError

    @staticmethod
    def respond(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
                headers: dict[str, str] | None = None, length: int | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
