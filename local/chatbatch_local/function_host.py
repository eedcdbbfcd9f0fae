"""A function in a process of its own behind a loopback invocation endpoint, as Lambda runs a container behind
API Gateway: ``make dev``'s HTTP front (http_server) turns each request into an event and invokes the api
function's process with it (``RemoteFunction``). The process can die (SIGKILL, a crash) without the front, the
queue or the database going with it; ``processes.run_module_until`` starts a new one, and meanwhile the front
waits for it like a cold start (a request that was inside the dead process is answered 500, as API Gateway
answers when its function crashed).

    python -m chatbatch_local.function_host api --port 3100
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, HTTPServer

from chatbatch_local.lambda_runtime import LambdaContext, load_function

INVOKE_PATH = "/invoke"
COLD_START_SECONDS = 60.0  # how long an invocation waits for a (re)starting process to listen


class FunctionCrashed(Exception):
    """The function's process died (or failed) during the invocation."""


class RemoteFunction:
    """A Lambda handler (``event, context -> response``) that runs in the function host on ``port``."""

    def __init__(self, port: int, *, host: str = "127.0.0.1", cold_start_seconds: float = COLD_START_SECONDS) -> None:
        self.host = host
        self.port = port
        self.cold_start_seconds = cold_start_seconds

    def __call__(self, event: dict, context: LambdaContext) -> dict:
        body = json.dumps({"event": event, "timeout_seconds": context.timeout_seconds}).encode()
        deadline = time.monotonic() + self.cold_start_seconds
        while True:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=context.timeout_seconds + 5)
            try:
                connection.connect()
            except ConnectionRefusedError:  # not listening (yet): the process is starting, the event never left
                connection.close()
                if time.monotonic() > deadline:
                    raise FunctionCrashed(f"its process did not start within {self.cold_start_seconds:g} s") from None
                time.sleep(0.05)
                continue
            try:
                connection.request("POST", INVOKE_PATH, body, {"Content-Type": "application/json"})
                answer = connection.getresponse()
                data = answer.read()
            except (OSError, http.client.HTTPException) as exc:
                raise FunctionCrashed(f"the function's process died during the invocation: {exc!r}") from None
            finally:
                connection.close()
            if answer.status != 200:
                raise FunctionCrashed(data.decode("utf-8", "replace"))
            return json.loads(data)


class _Host(HTTPServer):
    request_queue_size = 1024  # invocations waiting while one runs (one container: one at a time)


def serve(name: str, port: int) -> None:
    function = load_function(name)

    class Invocations(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            invocation = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
            context = LambdaContext(function_name=name, timeout_seconds=invocation["timeout_seconds"])
            try:
                status, data = 200, json.dumps(function.lambda_handler(invocation["event"], context)).encode()
            except Exception:  # the function raised: Lambda reports a function error
                status, data = 500, traceback.format_exc().encode()
            self.send_response(status)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = _Host(("127.0.0.1", port), Invocations)
    stopping = threading.Event()

    def on_signal(*_: object) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.serve_forever(poll_interval=0.1)
    server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatbatch_local.function_host")
    parser.add_argument("function", help="functions/<name>/app.py")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve(args.function, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
