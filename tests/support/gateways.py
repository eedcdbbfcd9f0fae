"""Helpers for the gateways' tests: their fixtures and events/ samples as this test's own tenant, signed requests,
and what a tenant's history holds."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path

from chatbatch_local.lambda_runtime import http_api_event
from chatbatch_local.stack import DEV_GATEWAY_SECRETS

from tests.support import SECRET, load_event

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
GATEWAY_DIRS = ("waha", "evolution-api", "meta-cloud-api", "go-whatsapp-web-multidevice")
META_APP_SECRET = DEV_GATEWAY_SECRETS["META_APP_SECRET"]
META_VERIFY_TOKEN = DEV_GATEWAY_SECRETS["META_VERIFY_TOKEN"]
GOWA_SECRET = DEV_GATEWAY_SECRETS["GOWA_WEBHOOK_SECRET"]
WAHA_HMAC_KEY = "waha-hmac-key-of-this-test"


def fixture(name: str) -> dict:
    """A published payload, e.g. ``fixture("waha/message_reaction.json")``."""
    return json.loads((FIXTURES / name).read_text())


def as_tenant(payload: dict, tenant: str) -> dict:
    """The payload with its tenant replaced by ``tenant`` (WAHA ``session``, Evolution ``instance``, GOWA
    ``session_id``/``device_id`` as the payload has them, Meta ``metadata.phone_number_id``), nothing else changed."""
    payload = copy.deepcopy(payload)
    for key in ("session", "instance"):
        if key in payload:
            payload[key] = tenant
    if "device_id" in payload or "session_id" in payload:
        payload["session_id"] = tenant
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            if isinstance(change.get("value", {}).get("metadata"), dict):
                change["value"]["metadata"]["phone_number_id"] = tenant
    return payload


def hub_signature(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def waha_hmac(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def post(path: str, payload: object = None, *, raw: bytes | None = None, headers: dict | None = None) -> dict:
    body = raw if raw is not None else json.dumps(payload).encode()
    return http_api_event("POST", path, "", {"content-type": "application/json", **(headers or {})}, body)


def signed(path: str, payload: object, key: str, *, raw: bytes | None = None) -> dict:
    """A request signed as the Cloud API and GOWA sign theirs (``X-Hub-Signature-256`` of the raw body)."""
    body = raw if raw is not None else json.dumps(payload).encode()
    return post(path, raw=body, headers={"x-hub-signature-256": hub_signature(key, body)})


def gateway_request(gateway: str, payload: object, *, path: str | None = None) -> dict:
    """The request each gateway sends with the settings of the test run (conftest): WAHA and Evolution with the
    shared secret header, the Cloud API and GOWA signed."""
    if gateway == "meta":
        return signed(path or "/webhook/meta", payload, META_APP_SECRET)
    if gateway == "gowa":
        return signed(path or "/webhook/gowa", payload, GOWA_SECRET)
    return post(path or f"/webhook/{gateway}", payload, headers={"x-webhook-secret": SECRET})


def sample_payload(name: str) -> tuple[str, dict]:
    """An events/ sample's route and JSON payload."""
    event = load_event(name)
    return event["rawPath"], json.loads(event["body"])


def history(pg, tenant: str, message_id: str) -> dict:
    """The tenant's chat_messages row of ``message_id`` with its room's contact name ({} when there is none)."""
    with pg.cursor() as cur:
        cur.execute(
            """
            SELECT m.chat_id, m.sender_jid, m.sender_type, m.message_type, m.content,
                   to_char(m.message_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS at,
                   m.status, m.status_error, m.reply_to_message_id, m.deleted_at IS NOT NULL AS deleted,
                   r.contact_name, r.unread_count
              FROM chat_messages m JOIN chat_rooms r ON r.id = m.chat_room_id
             WHERE m.user_token = %s AND m.message_id = %s
            """,
            (tenant, message_id),
        )
        row = cur.fetchone()
        names = [d[0] for d in cur.description]
    return dict(zip(names, row)) if row else {}


def reactions(pg, tenant: str) -> list[tuple]:
    """The tenant's reactions: (chat_id, message_id, sender_jid, from_me, emoji)."""
    with pg.cursor() as cur:
        cur.execute(
            "SELECT chat_id, message_id, sender_jid, from_me, emoji FROM message_reactions WHERE user_token = %s"
            " ORDER BY id",
            (tenant,),
        )
        return cur.fetchall()


def needs_reply(pg, tenant: str, message_id: str) -> bool | None:
    """Is the message pending for the bot (None: not in the AI's working set)?"""
    with pg.cursor() as cur:
        cur.execute(
            "SELECT needs_reply FROM ai_chat_messages WHERE session_tok = %s AND message_id = %s", (tenant, message_id)
        )
        row = cur.fetchone()
    return row[0] if row else None


def seed_sent(pg, tenant: str, message_id: str, *, chat_jid: str = "6281234567890@s.whatsapp.net", status="sent"):
    """Given: a message the business sent in the tenant's chat with ``chat_jid`` (a bot reply, say)."""
    chat = f"{tenant}_{chat_jid}"
    with pg.cursor() as cur:
        cur.execute(
            "INSERT INTO chat_rooms (chat_id, user_token, contact_jid, chat_type, last_message, last_activity)"
            " VALUES (%s, %s, %s, 'individual', 'reply', now())"
            " ON CONFLICT (chat_id) DO UPDATE SET updated_at = now() RETURNING id",
            (chat, tenant, chat_jid),
        )
        room_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO chat_messages (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type,"
            " message_type, content, status, message_timestamp) VALUES (%s, %s, %s, %s, 'bot', 'ai', 'text',"
            " 'Ada kak', %s, now())",
            (message_id, room_id, chat, tenant, status),
        )


def sample_request(name: str, tenant: str) -> dict:
    """An events/ sample as ``tenant`` sends it: the payload's tenant (and a session in the URL) replaced, and a
    signed sample signed again, exactly as the gateway would have signed that body; headers otherwise as is."""
    event = load_event(name)
    path = event["rawPath"]
    if path.startswith("/webhook/gowa/"):
        path = f"/webhook/gowa/{tenant}"
    body = json.dumps(as_tenant(json.loads(event["body"]), tenant)).encode()
    headers = dict(event["headers"])
    if "x-hub-signature-256" in headers:
        key = META_APP_SECRET if path.startswith("/webhook/meta") else GOWA_SECRET
        headers["x-hub-signature-256"] = hub_signature(key, body)
    return http_api_event("POST", path, event["rawQueryString"], headers, body)
