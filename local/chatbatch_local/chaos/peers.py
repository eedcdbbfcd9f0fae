"""The chaos run's loopback peers: an OpenAI-compatible LLM whose calls can fail, hang or kill the worker; the
WAHA gateway (chatbatch_local.fake_gateway) echoing every send through the webhook ahead of its answer, with a
webhook delivery that retries as WAHA's does; and a TCP proxy in front of the local SQS that can be cut."""

from __future__ import annotations

import contextlib
import json
import math
import random
import socket
import threading
import time
import urllib.error
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from chatbatch_local.chaos.trace import Bubble
from chatbatch_local.fake_gateway import BUSINESS_NUMBER, HttpWebhook, SentText, webhook_payload

WEBHOOK_RETRY_SECONDS = 120.0  # how long the gateway keeps retrying one webhook delivery (WAHA: retries.attempts)


class RetryingWebhook(HttpWebhook):
    """Webhook deliveries retried until chatbatch answers 2xx, as WAHA retries its webhooks: a 5xx, a refused or
    dropped connection (the api being restarted, the database stopped) is tried again a little later."""

    def post(self, kind: str, payload: dict) -> int:
        deadline = time.monotonic() + WEBHOOK_RETRY_SECONDS
        delay = 0.2
        while True:
            try:
                status = super().post(kind, payload)
            except (urllib.error.URLError, OSError):
                status = 0
            if 200 <= status < 300 or (400 <= status < 500 and status != 429):
                self.answers.append(status)
                return status
            if time.monotonic() > deadline:
                self.answers.append(status)
                return status
            time.sleep(delay)
            delay = min(2.0, delay * 1.5)

    def __init__(self, api_url: str, *, secret: str) -> None:
        super().__init__(api_url, secret=secret)
        self._held = threading.local()

    def hold_next_echo(self, seconds: float) -> None:
        """The echo of the send this thread of the gateway is handling goes out ``seconds`` later (inf: never)."""
        self._held.seconds = seconds

    def __call__(self, sent: SentText) -> None:
        seconds, self._held.seconds = getattr(self._held, "seconds", None), None
        payload = webhook_payload(sent)
        if seconds is None:
            self.post(sent.kind, payload)
        elif not math.isinf(seconds):
            threading.Thread(target=self._post_later, args=(seconds, sent.kind, payload), daemon=True).start()

    def _post_later(self, seconds: float, kind: str, payload: dict) -> None:
        time.sleep(seconds)
        self.post(kind, payload)


def waha_bubble(session: str, bubble: Bubble) -> dict:
    """A customer's text as WAHA's ``message`` webhook posts it."""
    chat = f"{bubble.chat}@c.us"
    now = time.time()
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "timestamp": int(now * 1000),
        "event": "message",
        "session": session,
        "metadata": {},
        "me": {"id": f"{BUSINESS_NUMBER}@c.us", "pushName": "Toko Chaos"},
        "payload": {
            "id": f"false_{chat}_{bubble.key}",
            "timestamp": int(now),
            "from": chat,
            "fromMe": False,
            "source": "app",
            "to": f"{BUSINESS_NUMBER}@c.us",
            "body": bubble.text,
            "hasMedia": False,
            "ack": 1,
            "_data": {"type": "chat", "notifyName": f"Pelanggan {bubble.chat[-4:]}", "t": int(now)},
        },
        "engine": "WEBJS",
    }


class ChaosLlm:
    """``POST /v1/chat/completions``: a fresh reply (unique text) per call, unless the dice say 500 or hang, or
    ``on_call`` (a kill of the worker) runs first."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.error_rate = 0.0
        self.hang_rate = 0.0
        self.hang_seconds = 30.0
        self.on_call: Callable[[], None] | None = None
        self.calls = 0
        self.errors = 0  # 500s answered
        self.hangs = 0  # calls held past the worker's timeout
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.url = ""

    def answer(self, request: dict) -> tuple[int, dict]:
        with self.lock:
            self.calls += 1
            roll = self.rng.random()
            hook = self.on_call
        if hook is not None:
            hook()
        if roll < self.error_rate:
            with self.lock:
                self.errors += 1
            return 500, {"error": {"message": "chaos: internal error", "type": "server_error"}}
        if roll < self.error_rate + self.hang_rate:
            with self.lock:
                self.hangs += 1
            time.sleep(self.hang_seconds)
        newest = next((m["content"] for m in reversed(request["messages"]) if m["role"] == "user"), "")
        text = f"Balasan {uuid.uuid4().hex[:10]}: kami cek dulu ya ({newest[:40]})"
        return 200, {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "model": request.get("model", "chaos"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 12, "total_tokens": 62},
        }

    def start(self) -> ChaosLlm:
        llm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                status, body = llm.answer(request)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the caller gave up (a timeout) or died

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


class CuttableProxy:
    """A TCP proxy on loopback in front of ``target_port``; ``cut()`` drops every connection and refuses new ones
    until ``mend()`` — the service behind it (and its state) stays up, it is just unreachable."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self.port = self.listener.getsockname()[1]
        self.reachable = threading.Event()
        self.reachable.set()
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.reachable.clear()
        with self.lock:
            for sock in self.open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self.open.clear()

    def mend(self) -> None:
        self.reachable.set()

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.reachable.is_set():
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                client.close()  # a reset: unreachable
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()
            with self.lock:
                self.open.discard(source)
                self.open.discard(sink)
