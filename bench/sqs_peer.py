"""A local SQS endpoint for the sweep benchmark: it answers SendMessageBatch (SQS's JSON protocol, as the sweeper
speaks it: adapters/sqs_batch.py) and counts the messages, after an optional delay per call that stands for the
network round trip to SQS. ``python -m bench.sqs_peer DELAY_SECONDS`` runs it in a process of its own (as SQS is
not in the sweeper's process: no share of its interpreter) and prints its queue URL.

moto's SQS is the project's SQS for tests, but its FIFO queue slows down as it fills (under 10 calls/s past a few
thousand messages on this machine), so it cannot say how fast the sweeper sends 10,000 jobs. This peer does no
queue work at all: what it measures is the sweeper's side (building, signing and sending the calls, the lanes).

It shares this machine's two cores with the sweeper and the database, which SQS does not: it is an asyncio server
with no thread per connection and the least HTTP it can speak (keep-alive, Content-Length bodies), so a
10,000-job tick costs it a fraction of the CPU http.server's threads did (0.35-0.42 s per tick).
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading

_ACCOUNT_QUEUE = "/123456789012/bench-jobs.fifo"


class _Connection(asyncio.Protocol):
    """One kept-alive client connection: requests in order, each answered after the delay."""

    def __init__(self, peer: SqsPeer) -> None:
        self.peer = peer
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return  # the rest of the body is still on its way
            body, self.buffer = self.buffer[end + 4 : end + 4 + length], self.buffer[end + 4 + length :]
            answer = self.peer.answer(headers.get("x-amz-target"), body)
            if self.peer.delay_seconds:
                asyncio.get_running_loop().call_later(self.peer.delay_seconds, self._write, answer)
            else:
                self._write(answer)

    def _write(self, answer: tuple[int, bytes]) -> None:
        status, data = answer
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Bad Request'}\r\n"
                f"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {len(data)}\r\n\r\n".encode()
                + data
            )

    def connection_lost(self, exc) -> None:
        self.transport = None


class SqsPeer:
    def __init__(self, delay_seconds: float = 0.0) -> None:
        self.delay_seconds = delay_seconds  # per call, before answering
        self.messages = 0
        self.calls = 0
        self.port = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def queue_url(self) -> str:
        return f"{self.endpoint_url}{_ACCOUNT_QUEUE}"

    def answer(self, target: str | None, body: bytes) -> tuple[int, bytes]:
        if target != "AmazonSQS.SendMessageBatch":
            return 400, json.dumps({"__type": "InvalidAction", "message": target}).encode()
        entries = json.loads(body)["Entries"]
        first = self.messages
        self.calls += 1
        self.messages += len(entries)
        successful = [
            {"Id": entry["Id"], "MessageId": f"m-{first + n}", "SequenceNumber": str(first + n)}
            for n, entry in enumerate(entries)
        ]
        return 200, json.dumps({"Successful": successful, "Failed": []}).encode()

    async def serve(self, started: threading.Event | None = None) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Connection(self), "127.0.0.1", 0, backlog=256)
        self.port = server.sockets[0].getsockname()[1]
        if started is not None:
            started.set()
        async with server:
            await server.serve_forever()


if __name__ == "__main__":
    peer = SqsPeer(delay_seconds=float(sys.argv[1]))
    started = threading.Event()
    threading.Thread(target=asyncio.run, args=(peer.serve(started),), daemon=True).start()
    started.wait(10)
    print(peer.queue_url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
