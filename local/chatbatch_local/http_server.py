"""A local HTTP server that hands each request to a Lambda handler as an API Gateway HTTP API v2 event.

Requests are read concurrently, but the handler runs on one thread, one request at a time, like one warm
Lambda container: what it caches per thread (its database connection) lives from one request to the next.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from chatbatch_local.lambda_runtime import LambdaContext, decode_response, http_api_event

Handler = Callable[[dict, object], dict]
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway HTTP API's payload limit


class _ContainerServer(ThreadingHTTPServer):
    """An HTTP server whose requests all reach the function through one container thread."""

    daemon_threads = True
    # A gateway opens many connections at once in a burst; the socketserver default backlog of 5 resets them.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], request_handler: type, container: ThreadPoolExecutor) -> None:
        self.container = container  # first: a failed bind calls server_close() from inside __init__
        super().__init__(address, request_handler)

    def server_close(self) -> None:
        super().server_close()
        self.container.shutdown(wait=False)


def make_server(
    handler: Handler, host: str = "127.0.0.1", port: int = 3000, *, function_name: str = "api"
) -> ThreadingHTTPServer:
    container = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{function_name}-container")

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = _content_length(self.headers.get("content-length"))
            if length is None or length > MAX_REQUEST_BYTES:
                # Refused before reading the body, so the connection cannot be reused.
                status, text = (400, b"Bad Request") if length is None else (413, b"Request Entity Too Large")
                self._reply(status, {"content-type": "application/json"}, b'{"message":"%s"}' % text)
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            event = http_api_event(
                self.command, url.path, url.query, dict(self.headers.items()), body, source_ip=self.client_address[0]
            )
            try:
                context = LambdaContext(function_name=function_name, timeout_seconds=29)
                response = container.submit(handler, event, context).result()
            except Exception:  # what API Gateway answers when the function itself fails
                traceback.print_exc()
                self._reply(500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
                return
            status, headers, data = decode_response(response)
            self._reply(status, headers, data)

        def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

        def __getattr__(self, name: str):
            # Any other method (TRACE, CONNECT, PROPFIND, ...) has no route: API Gateway answers its JSON 404,
            # never the 501 HTML page of http.server.
            if name.startswith("do_"):
                return self._no_route
            raise AttributeError(name)

        def _no_route(self) -> None:
            self._reply(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # quiet: the function logs for itself
            pass

    return _ContainerServer((host, port), RequestHandler, container)


def _content_length(header: str | None) -> int | None:
    """The announced body size; None when the header is not a non-negative integer."""
    if not header:
        return 0
    try:
        length = int(header)
    except ValueError:
        return None
    return length if length >= 0 else None
