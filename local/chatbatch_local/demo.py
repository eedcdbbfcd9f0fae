"""``make demo``: three bubbles to a running ``make dev``, then the one reply and the room's history.

Reads how to reach the stack from .dev/stack.json (written by ``make dev``). The reply needs the whole
pipeline: the api stores the bubbles, the sweeper batches them after the debounce window, the worker answers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from chatbatch.db import Database, transaction_time
from chatbatch.domain.chats import Chat
from chatbatch.domain.prompt import ChatLine
from chatbatch.store import chat_messages

from chatbatch_local.stack import STACK_FILE

BUBBLES = ("Halo", "Saya mau", "pesan produk")
SESSION = "demo"
CONTACT = "6281234567890@s.whatsapp.net"
BUSINESS = "6280000000000@s.whatsapp.net"


def post_bubble(api_url: str, secret: str, text: str) -> str:
    message_id = f"demo-{uuid.uuid4().hex[:12]}"
    payload = {
        "session_token": SESSION,
        "message_id": message_id,
        "from": CONTACT,
        "to": BUSINESS,
        "body": text,
        "push_name": "Budi",
        "timestamp": int(time.time() * 1000),
    }
    request = urllib.request.Request(
        f"{api_url}/webhook",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Webhook-Secret": secret},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        print(f"  → {text!r}: HTTP {response.status} {response.read().decode()}")
    return message_id


def room_history(db: Database) -> list[ChatLine]:
    return db.transaction(
        lambda cur: chat_messages.recent(
            cur, chat_id=Chat(SESSION, CONTACT).room_key, tenant=SESSION, limit=50, arrived_by=transaction_time(cur)
        )
    )


def replies_after(lines: list[ChatLine], message_id: str) -> list[ChatLine]:
    ids = [line.message_id for line in lines]
    return (
        [line for line in lines[ids.index(message_id) + 1 :] if line.sender_type == "ai"] if message_id in ids else []
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--wait", type=float, default=45.0, help="seconds to wait for the reply (default 45)")
    parser.add_argument("--stack-file", type=Path, default=STACK_FILE, help=f"default {STACK_FILE}")
    args = parser.parse_args(argv)
    if not args.stack_file.exists():
        print(
            f"no running stack ({args.stack_file} is missing): start `make dev` in another terminal first",
            file=sys.stderr,
        )
        return 2
    stack = json.loads(args.stack_file.read_text())
    db = Database(lambda: {"dsn": stack["database_url"]})
    print(f"sending {len(BUBBLES)} bubbles to {stack['api_url']}/webhook as {CONTACT} (session {SESSION!r}):")
    try:
        last_id = [post_bubble(stack["api_url"], stack["webhook_secret"], text) for text in BUBBLES][-1]
    except (urllib.error.URLError, ConnectionError) as exc:
        print(f"cannot reach the api at {stack['api_url']}: {exc} — is `make dev` still running?", file=sys.stderr)
        return 2
    deadline = time.monotonic() + args.wait
    print("waiting for the reply (debounce window, sweep, worker)…", flush=True)
    while not (replies := replies_after(room_history(db), last_id)) and time.monotonic() < deadline:
        time.sleep(0.5)
    lines = room_history(db)
    db.close()
    print(f"\nreplies to this burst: {len(replies)}")
    for reply in replies:
        print(f"  ← {reply.content!r}")
    print(f"\nroom {Chat(SESSION, CONTACT).room_key} (last {len(lines)} messages, oldest first):")
    for line in lines:
        print(f"  {line.sender_type:>7}: {line.as_text().replace(chr(10), ' / ')}")
    if not replies:
        print(
            f"\nno reply within {args.wait:.0f} s: the sweeper batches the bubbles into a job — is it part of "
            "this `make dev`? (see docs/worker.md)",
            file=sys.stderr,
        )
        return 1
    return 0 if len(replies) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
