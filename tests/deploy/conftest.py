"""Fixtures for the deploy tests: a stand-in for CloudFormation's pre-signed S3 URL, a fresh empty database."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest


@dataclass
class ResponseBucket:
    """Records what the function PUT to the 'pre-signed URL'; answers with ``status``."""

    url: str
    status: int = 200
    received: list[dict] = field(default_factory=list)

    def only_answer(self) -> dict:
        assert len(self.received) == 1, f"expected exactly one answer, got {len(self.received)}"
        return self.received[0]


@pytest.fixture
def response_bucket() -> Iterator[ResponseBucket]:
    bucket = ResponseBucket(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            bucket.received.append(
                {"path": self.path, "content_type": self.headers.get("Content-Type"), "document": json.loads(body)}
            )
            self.send_response(bucket.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bucket.url = f"http://127.0.0.1:{server.server_port}/stack-events/DatabaseSchema?X-Amz-Signature=abc"
    yield bucket
    server.shutdown()
    server.server_close()


@pytest.fixture
def empty_database_url(database_url) -> Iterator[str]:
    """A new, empty database on the suite's Postgres server (dropped afterwards)."""
    name = f"chatbatch_empty_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(database_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(database_url)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
