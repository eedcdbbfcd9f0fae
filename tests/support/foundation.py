"""Helpers for the foundation's tests: webhook payloads, row counts of one tenant, fresh databases."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from psycopg2.extensions import make_dsn, parse_dsn

CONTACT = "6281234567890@s.whatsapp.net"
BUSINESS = "6280000000000@s.whatsapp.net"


def message(tenant: str, message_id: str, **fields) -> dict:
    """A contact's text message as the gateway posts it; ``fields`` override or add payload keys."""
    return {
        "session_token": tenant,
        "message_id": message_id,
        "from": CONTACT,
        "to": BUSINESS,
        "body": "Halo",
        "push_name": "Budi",
        **fields,
    }


def counts(pg, tenant: str) -> tuple[int, int, int]:
    """Rows of one tenant in (ai_chat_messages, chat_rooms, chat_messages)."""
    with pg.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM ai_chat_messages WHERE session_tok = %(s)s),"
            "       (SELECT count(*) FROM chat_rooms WHERE user_token = %(s)s),"
            "       (SELECT count(*) FROM chat_messages WHERE user_token = %(s)s)",
            {"s": tenant},
        )
        return cur.fetchone()


def room(pg, tenant: str, jid: str = CONTACT) -> dict:
    """The chat_rooms row of (session_tok, jid) as a dict; {} when there is none."""
    with pg.cursor() as cur:
        cur.execute(
            "SELECT contact_jid, contact_name, chat_type, is_group, last_message, last_sender, unread_count, "
            "       last_activity FROM chat_rooms WHERE chat_id = %s",
            (f"{tenant}_{jid}",),
        )
        row = cur.fetchone()
        names = [d[0] for d in cur.description]
    return dict(zip(names, row)) if row else {}


@contextmanager
def fresh_database(database_url: str) -> Iterator[str]:
    """An empty database (no migrations) in the test cluster, dropped afterwards; yields its DSN."""
    name = f"chatbatch_fresh_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(database_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_dsn(**{**parse_dsn(database_url), "dbname": name})
        finally:
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


AWS_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aws-lambda"
_MUSTACHE = re.compile(r"\{\{\{(\w+)\}\}\}")


def aws_fixture(name: str) -> dict:
    """A real Lambda event published by AWS (Powertools' test events)."""
    return json.loads((AWS_FIXTURES / name).read_text())


def samcli_event(name: str, **values: str) -> dict:
    """A SAM CLI ``sam local generate-event`` template rendered as the CLI does (``{{{key}}}`` unescaped)."""

    def fill(match: re.Match) -> str:
        if match[1] not in values:
            raise KeyError(f"{name} needs a value for {{{{{{{match[1]}}}}}}}")
        return json.dumps(values[match[1]])[1:-1]  # the placeholders sit inside JSON strings

    return json.loads(_MUSTACHE.sub(fill, (AWS_FIXTURES / name).read_text()))
