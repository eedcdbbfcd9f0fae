"""A loopback HTTP peer for the local fakes (a gateway, an LLM), the tests and the benchmarks: a server on
127.0.0.1 in a background thread, and its answers written one way."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def serve_in_background(handler: type[BaseHTTPRequestHandler], *, port: int = 0) -> ThreadingHTTPServer:
    """``handler`` served on 127.0.0.1 (``port`` 0: any free port) until ``shutdown()``; its URL is
    ``url_of(server)``."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def answer(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    """One answer: JSON, or plain text for a ``str`` body. A client that gave up waiting (a timeout test) is no
    error of the peer's."""
    raw = (body if isinstance(body, str) else json.dumps(body)).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)
    except (BrokenPipeError, ConnectionResetError):
        pass
