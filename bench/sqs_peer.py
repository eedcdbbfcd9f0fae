"""A local SQS endpoint for the sweep benchmark: it answers SendMessageBatch (SQS's JSON protocol, as boto3 speaks
it) and counts the messages, after an optional delay per call that stands for the network round trip to SQS.
``python -m bench.sqs_peer DELAY_SECONDS`` runs it in a process of its own (as SQS is not in the sweeper's process:
no share of its interpreter) and prints its queue URL.

moto's SQS is the project's SQS for tests, but its FIFO queue slows down as it fills (under 10 calls/s past a few
thousand messages on this machine), so it cannot say how fast the sweeper sends 10,000 jobs. This peer does no
queue work at all: what it measures is the sweeper's side (building, signing and sending the calls, the lanes).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class SqsPeer:
    delay_seconds: float = 0.0  # per call, before answering
    messages: int = 0
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def queue_url(self) -> str:
        return f"{self.endpoint_url}/123456789012/bench-jobs.fifo"

    def start(self) -> SqsPeer:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stall)

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.headers.get("X-Amz-Target") != "AmazonSQS.SendMessageBatch":
                    self._answer(400, {"__type": "InvalidAction", "message": self.headers.get("X-Amz-Target")})
                    return
                if peer.delay_seconds:
                    time.sleep(peer.delay_seconds)
                entries = request["Entries"]
                with peer._lock:
                    peer.calls += 1
                    peer.messages += len(entries)
                    first = peer.messages - len(entries)
                self._answer(
                    200,
                    {
                        "Successful": [
                            {
                                "Id": entry["Id"],
                                "MessageId": f"m-{first + n}",
                                "MD5OfMessageBody": hashlib.md5(entry["MessageBody"].encode()).hexdigest(),
                                "SequenceNumber": str(first + n),
                            }
                            for n, entry in enumerate(entries)
                        ],
                        "Failed": [],
                    },
                )

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # one line per call would drown the tables
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


if __name__ == "__main__":
    import sys

    peer = SqsPeer(delay_seconds=float(sys.argv[1])).start()
    print(peer.queue_url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    peer.stop()
