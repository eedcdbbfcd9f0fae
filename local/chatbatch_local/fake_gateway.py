"""A WhatsApp gateway on loopback — WAHA, Evolution API, Meta's Cloud API or GOWA — for tests and ``make dev``.

It accepts exactly the requests the real gateway documents (method, path, auth header, body; anything else is
answered as that gateway answers it: 401, 400 or 404), answers a send in the gateway's own format with a fresh
message id, and can echo every sent message back to chatbatch's webhook in the gateway's own webhook format
(WAHA ``message.any`` fromMe, Evolution ``send.message``, GOWA's own ``message``; Meta sends no echo but a ``sent``
status) — by default BEFORE it answers the HTTP request, as real gateways can. Sends can be scripted to fail
(an HTTP status, a hang after accepting, a dropped connection), and typing / read endpoints to fail or hang.

Run one next to ``make dev`` (see docs/gateways.md, "Trying it locally")::

    python -m chatbatch_local.fake_gateway --kind waha --port 3001
    GATEWAY=waha GATEWAY_URL=http://127.0.0.1:3001 GATEWAY_TOKEN=dev-gateway-token make dev

Not part of the Lambda layer.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import re
import secrets
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chatbatch_local import loopback

KINDS = ("waha", "evolution", "meta", "gowa")
DEV_GATEWAY_TOKEN = "dev-gateway-token"
DEV_GOWA_TOKEN = "dev:dev-gateway-token"  # GOWA authenticates with basic auth (user:password)
BUSINESS_NUMBER = "6280000000000"  # the tenant's own number (the demo's "to")
META_TEXT_LIMIT = 4096
META_VERSION = "v25.0"  # the Graph API version in GATEWAY_URL (any vX.Y is accepted)

# What a scripted send does instead of answering 200 at once.
HANG = "hang"  # accept (and echo), then answer only after the client gave up: an unknown outcome for the client
DROP = "drop"  # accept (and echo), then close the connection without an answer


class Rejected(Exception):
    """The request is not what the gateway accepts: answered with ``status`` and the gateway's own error body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class SentText:
    """A message the fake gateway sent, in the terms its webhook uses."""

    kind: str
    session: str  # WAHA session, Evolution instance, Meta phone_number_id, GOWA device id
    chat: str  # the chat as the request named it (chatId, number, to/recipient, phone)
    text: str
    message_id: str  # the id the gateway's webhooks carry for it
    reference: str | None = None  # Meta: biz_opaque_callback_data


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: Any
    action: str  # "send", "read", "typing", "stop typing", "rejected"
    status: int = 200


@dataclass
class FakeGateway:
    kind: str
    token: str
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    sent: list[SentText] = field(default_factory=list)
    send_script: list[int | str] = field(default_factory=list)  # per send: a status, HANG or DROP; then 200
    presence_script: list[int | str] = field(default_factory=list)  # per typing/read request likewise
    hang_seconds: float = 5.0
    presence_hold_seconds: float | None = None  # Evolution holds sendPresence open for its delay (capped here)
    echo: Callable[[SentText], None] | None = None
    echo_before_answer: bool = True
    # Asked per send when the script is empty (a status, HANG or DROP; default 200): a fault injector's dice.
    send_behaviour: Callable[[], int | str] | None = None
    on_accepted: Callable[[SentText], None] | None = None  # after the send was taken (and echoed), before answering
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sends(self) -> list[Recorded]:
        return [r for r in self.requests if r.action == "send"]

    def of(self, action: str) -> list[Recorded]:
        return [r for r in self.requests if r.action == action]


# ---------------------------------------------------------------------------------------------------------------
# What each gateway accepts. Each returns (action, session, chat, text, reference) for a valid request.

_WAHA_CHAT = re.compile(r"^(\d+@c\.us|[\w.-]+@g\.us|\d+@lid|[\w.-]+@newsletter)$")
_WAHA_SEND_FIELDS = {"session", "chatId", "text", "reply_to", "mentions", "linkPreview", "linkPreviewHighQuality"}
_EVOLUTION_SEND_FIELDS = {
    "number",
    "text",
    "delay",
    "linkPreview",
    "quoted",
    "mentionsEveryOne",
    "mentioned",
    "everyOne",
}
_EVOLUTION_NUMBER = re.compile(r"^(\d+|[\w.-]+@(s\.whatsapp\.net|g\.us|lid))$")
_GOWA_PHONE = re.compile(r"^\d+@s\.whatsapp\.net$|^[\w.-]+@g\.us$|^\d+@lid$")
_BSUID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")


def _require(ok: bool, status: int, body: Any) -> None:
    if not ok:
        raise Rejected(status, body)


def _waha(fake: FakeGateway, path: str, headers: dict[str, str], body: Any) -> tuple:
    _require(
        headers.get("x-api-key") == fake.token, 401, {"message": "Unauthorized", "statusCode": 401}
    )  # WAHA_API_KEY
    bad = {"statusCode": 400, "error": "Bad Request"}
    _require(isinstance(body, dict), 400, {**bad, "message": ["body must be an object"]})
    _require(isinstance(body.get("session"), str) and body["session"], 400, {**bad, "message": ["session"]})
    _require(
        isinstance(body.get("chatId"), str) and _WAHA_CHAT.match(body["chatId"]), 400, {**bad, "message": ["chatId"]}
    )
    if path in ("/api/sendText", "/api/reply"):
        _require(set(body) <= _WAHA_SEND_FIELDS, 400, {**bad, "message": [f"unknown {set(body) - _WAHA_SEND_FIELDS}"]})
        _require(isinstance(body.get("text"), str) and body["text"], 400, {**bad, "message": ["text"]})
        _require(path != "/api/reply" or isinstance(body.get("reply_to"), str), 400, {**bad, "message": ["reply_to"]})
        return "send", body["session"], body["chatId"], body["text"], None
    if path == "/api/sendSeen":
        ids = body.get("messageIds", [])
        _require(isinstance(ids, list) and all(isinstance(i, str) for i in ids), 400, {**bad, "message": ["ids"]})
        return "read", body["session"], body["chatId"], None, None
    if path in ("/api/startTyping", "/api/stopTyping"):
        return (
            ("typing" if path.endswith("startTyping") else "stop typing"),
            body["session"],
            body["chatId"],
            None,
            None,
        )
    raise Rejected(404, {"message": f"Cannot POST {path}", "error": "Not Found", "statusCode": 404})


def _evolution(fake: FakeGateway, path: str, headers: dict[str, str], body: Any) -> tuple:
    _require(
        headers.get("apikey") == fake.token,
        401,
        {"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}},
    )
    route, _, instance = path.strip("/").rpartition("/")
    bad = {"status": 400, "error": "Bad Request"}
    _require(isinstance(body, dict) and instance, 400, {**bad, "response": {"message": ["body"]}})
    if route == "message/sendText":
        for name in ("number", "text"):  # v2's textMessageSchema: required ['number', 'text']
            _require(name in body, 400, {**bad, "response": {"message": [f'instance requires property "{name}"']}})
        _require(set(body) <= _EVOLUTION_SEND_FIELDS, 400, {**bad, "response": {"message": ["unknown property"]}})
        _require(
            isinstance(body["number"], str) and _EVOLUTION_NUMBER.match(body["number"]),
            400,
            {**bad, "response": {"message": ["number"]}},
        )
        _require(
            isinstance(body["text"], str) and body["text"].strip(), 400, {**bad, "response": {"message": ["text"]}}
        )
        return "send", instance, body["number"], body["text"], None
    if route == "chat/markMessageAsRead":
        read = body.get("readMessages")
        _require(
            isinstance(read, list) and read and all({"id", "fromMe", "remoteJid"} <= set(m) for m in read),
            400,
            {**bad, "response": {"message": ["readMessages"]}},
        )
        return "read", instance, read[0]["remoteJid"], None, None
    if route == "chat/sendPresence":
        _require(
            {"number", "presence", "delay"} <= set(body) and body["presence"] in ("composing", "paused", "recording"),
            400,
            {**bad, "response": {"message": ["presence"]}},
        )
        return "typing", instance, body["number"], None, None
    raise Rejected(404, {"status": 404, "error": "Not Found", "response": {"message": ["Cannot POST " + path]}})


def _meta(fake: FakeGateway, path: str, headers: dict[str, str], body: Any) -> tuple:
    def error(code: int, message: str, kind: str = "OAuthException") -> dict:
        return {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf"}}

    _require(headers.get("authorization") == f"Bearer {fake.token}", 401, error(190, "Invalid OAuth access token."))
    parts = path.strip("/").split("/")
    _require(
        len(parts) == 3 and re.match(r"^v\d+\.\d+$", parts[0]) and parts[2] == "messages",
        404,
        error(100, "Unsupported post request.", "GraphMethodException"),
    )
    phone_number_id = parts[1]
    _require(
        isinstance(body, dict) and body.get("messaging_product") == "whatsapp", 400, error(100, "messaging_product")
    )
    if body.get("status") == "read":
        _require(isinstance(body.get("message_id"), str), 400, error(100, "message_id"))
        typing = body.get("typing_indicator")
        _require(typing in (None, {"type": "text"}), 400, error(100, "typing_indicator"))
        return ("typing" if typing else "read"), phone_number_id, None, None, None
    _require(body.get("type") == "text", 400, error(100, "type"))
    _require(body.get("recipient_type", "individual") in ("individual", "group"), 400, error(100, "recipient_type"))
    chat = body.get("to") or body.get("recipient")
    _require(
        isinstance(chat, str)
        and (chat.isdigit() or _BSUID.match(chat) or body.get("recipient_type") == "group")
        and ("to" in body) != ("recipient" in body),
        400,
        error(100, "(#100) Invalid parameter: to"),
    )
    text = body.get("text")
    _require(isinstance(text, dict) and isinstance(text.get("body"), str) and text["body"], 400, error(100, "text"))
    _require(
        len(text["body"]) + sum(1 for c in text["body"] if ord(c) > 0xFFFF) <= META_TEXT_LIMIT,
        400,
        error(100, "(#100) Param text['body'] must be at most 4096 characters long."),
    )
    reference = body.get("biz_opaque_callback_data")
    _require(reference is None or (isinstance(reference, str) and len(reference) <= 512), 400, error(100, "biz_opaque"))
    return "send", phone_number_id, chat, text["body"], reference


def _gowa(fake: FakeGateway, path: str, headers: dict[str, str], body: Any) -> tuple:
    expected = "Basic " + base64.b64encode(fake.token.encode()).decode()
    _require(headers.get("authorization") == expected, 401, "Unauthorized")
    device = headers.get("x-device-id", "")
    bad = {"status": 400, "code": "BAD_REQUEST", "results": None}
    _require(device != "", 400, {**bad, "code": "DEVICE_ID_REQUIRED", "message": "device_id is required"})
    _require(isinstance(body, dict), 400, {**bad, "message": "body"})
    phone = body.get("phone")
    _require(isinstance(phone, str) and _GOWA_PHONE.match(phone), 400, {**bad, "message": "phone: invalid"})
    if path == "/send/message":
        _require(isinstance(body.get("message"), str) and body["message"], 400, {**bad, "message": "message: blank"})
        return "send", device, phone, body["message"], None
    if re.match(r"^/message/[^/]+/read$", path):
        return "read", device, phone, None, None
    if path == "/send/chat-presence":
        _require(body.get("action") in ("start", "stop"), 400, {**bad, "message": "action"})
        return ("typing" if body["action"] == "start" else "stop typing"), device, phone, None, None
    raise Rejected(404, {"status": 404, "code": "NOT_FOUND", "message": f"Cannot POST {path}"})


_ROUTES = {"waha": _waha, "evolution": _evolution, "meta": _meta, "gowa": _gowa}


# ---------------------------------------------------------------------------------------------------------------
# Answers and echoes in each gateway's own format.


def new_message_id(kind: str) -> str:
    """A fresh WhatsApp key in the style the gateway's engine makes them."""
    if kind == "meta":
        return "wamid.HBgN" + base64.b64encode(secrets.token_bytes(24)).decode().rstrip("=")
    if kind == "evolution":
        return "BAE5" + secrets.token_hex(6).upper()
    return "3EB0" + secrets.token_hex(9).upper()


def _answer(kind: str, sent: SentText, key: str) -> tuple[int, Any]:
    now = int(time.time())
    if kind == "waha":  # WEBJS: the whatsapp-web.js message
        serialized = sent.message_id
        return 201, {
            "id": {"fromMe": True, "remote": sent.chat, "id": key, "_serialized": serialized},
            "timestamp": now,
            "from": f"{BUSINESS_NUMBER}@c.us",
            "to": sent.chat,
            "body": sent.text,
            "fromMe": True,
            "ack": 0,
        }
    if kind == "evolution":
        return 201, {
            "key": {"remoteJid": _personal_jid(sent.chat), "fromMe": True, "id": key},
            "pushName": "",
            "status": "PENDING",
            "message": {"conversation": sent.text},
            "messageType": "conversation",
            "messageTimestamp": now,
            "instanceId": "6f0c6e32-fake",
            "source": "unknown",
        }
    if kind == "meta":
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": sent.chat, "wa_id": sent.chat}],
            "messages": [{"id": key}],
        }
    return 200, {
        "code": "SUCCESS",
        "message": "Success",
        "results": {"message_id": key, "status": f"Message sent to {sent.chat} (server timestamp: {now})"},
    }


def _presence_answer(kind: str) -> tuple[int, Any]:
    if kind == "waha":
        return 201, {"result": True}
    if kind == "evolution":
        return 201, {"message": "Read messages", "read": "success"}
    if kind == "meta":
        return 200, {"success": True}
    return 200, {"code": "SUCCESS", "message": "Success", "results": {"status": "ok"}}


def _personal_jid(chat: str) -> str:
    digits = chat.split("@", 1)[0]
    return f"{digits}@s.whatsapp.net" if "@" not in chat or chat.endswith(("@c.us", "@s.whatsapp.net")) else chat


def webhook_payload(sent: SentText, *, business: str = BUSINESS_NUMBER) -> dict:
    """The gateway's own webhook for the message it just sent (Meta: the ``sent`` status)."""
    now = datetime.now(UTC)
    if sent.kind == "waha":
        return {
            "id": f"evt_{secrets.token_hex(8)}",
            "timestamp": int(now.timestamp() * 1000),
            "event": "message.any",
            "session": sent.session,
            "engine": "WEBJS",
            "me": {"id": f"{business}@c.us", "pushName": "Toko"},
            "payload": {
                "id": sent.message_id,
                "timestamp": int(now.timestamp()),
                "from": f"{business}@c.us",
                "fromMe": True,
                "to": sent.chat,
                "body": sent.text,
                "hasMedia": False,
                "ack": 1,
            },
        }
    if sent.kind == "evolution":
        return {
            "event": "send.message",
            "instance": sent.session,
            "data": {
                "key": {"remoteJid": _personal_jid(sent.chat), "fromMe": True, "id": sent.message_id},
                "pushName": "Toko",
                "status": "SERVER_ACK",
                "message": {"conversation": sent.text},
                "messageType": "conversation",
                "messageTimestamp": int(now.timestamp()),
                "source": "unknown",
            },
            "date_time": now.isoformat(),
            "sender": f"{business}@s.whatsapp.net",
            "server_url": "http://127.0.0.1",
        }
    if sent.kind == "gowa":
        return {
            "event": "message",
            "device_id": f"{business}@s.whatsapp.net",
            "session_id": sent.session,
            "payload": {
                "id": sent.message_id,
                "chat_id": sent.chat,
                "from": f"{business}@s.whatsapp.net",
                "from_name": "Toko",
                "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "is_from_me": True,
                "body": sent.text,
            },
        }
    status = {
        "id": sent.message_id,
        "status": "sent",
        "timestamp": str(int(now.timestamp())),
        "recipient_id": sent.chat,
    }
    if sent.reference:
        status["biz_opaque_callback_data"] = sent.reference
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": business, "phone_number_id": sent.session},
                            "statuses": [status],
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def flat_echo(sent: SentText, *, business: str = BUSINESS_NUMBER) -> dict:
    """The same echo as chatbatch's flat ``POST /webhook`` takes it (``from_me``), for a stack without the
    gateway's own route."""
    return {
        "session_token": sent.session,
        "message_id": sent.message_id,
        "from": f"{business}@s.whatsapp.net",
        "to": _personal_jid(sent.chat),
        "body": sent.text,
        "from_me": True,
    }


GOWA_DEFAULT_WEBHOOK_SECRET = "secret"  # GOWA signs every webhook; this is its key unless configured


_DEV_KEYS = {"meta": "META_APP_SECRET", "gowa": "GOWA_WEBHOOK_SECRET"}


def dev_webhook_key(kind: str) -> str | None:
    """The key ``make dev`` checks the gateway's signature with (WAHA: none, it takes X-Webhook-Secret)."""
    from chatbatch_local.stack import DEV_GATEWAY_SECRETS  # not at import: the stack's modules are heavier

    name = _DEV_KEYS.get(kind)
    return DEV_GATEWAY_SECRETS[name] if name else None


def signature_headers(kind: str, body: bytes, hmac_key: str | None) -> dict[str, str]:
    """How the gateway signs its webhook: GOWA always (X-Hub-Signature-256, HMAC-SHA256), the Cloud API with the
    app secret (the same header), WAHA when an HMAC key is set for the session (X-Webhook-Hmac, HMAC-SHA512 of the
    raw body)."""
    if kind == "gowa" or (kind == "meta" and hmac_key):
        digest = hmac.new((hmac_key or GOWA_DEFAULT_WEBHOOK_SECRET).encode(), body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": f"sha256={digest}"}
    if kind == "waha" and hmac_key:
        digest = hmac.new(hmac_key.encode(), body, hashlib.sha512).hexdigest()
        return {"X-Webhook-Hmac": digest, "X-Webhook-Hmac-Algorithm": "sha512"}
    return {}


class HttpWebhook:
    """Delivers echoes to a running chatbatch over HTTP: its ``/webhook/<kind>`` route (signed as the gateway
    signs), or the flat ``/webhook``; always with the shared ``X-Webhook-Secret`` header too."""

    def __init__(self, api_url: str, *, secret: str, route: str = "gateway", hmac_key: str | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.secret = secret
        self.route = route
        self.hmac_key = hmac_key
        self.answers: list[int] = []

    def __call__(self, sent: SentText) -> None:
        if self.route == "flat":
            self.answers.append(self._post(f"{self.api_url}/webhook", json.dumps(flat_echo(sent)).encode(), {}))
        else:
            self.answers.append(self.post(sent.kind, webhook_payload(sent)))

    def post(self, kind: str, payload: dict) -> int:
        """Post ``payload`` to chatbatch's route for ``kind`` as that gateway does (signed as it signs)."""
        body = json.dumps(payload).encode()
        return self._post(f"{self.api_url}/webhook/{kind}", body, signature_headers(kind, body, self.hmac_key))

    def _post(self, url: str, body: bytes, signed: dict[str, str]) -> int:
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Content-Type": "application/json", "X-Webhook-Secret": self.secret, **signed},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


# ---------------------------------------------------------------------------------------------------------------
# The server.


def serve(fake: FakeGateway, *, port: int = 0) -> ThreadingHTTPServer:
    """Start ``fake`` on 127.0.0.1 (``port`` 0: any free port) in a background thread; sets ``fake.url``."""
    route = _ROUTES[fake.kind]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = None
            record = Recorded("POST", self.path, {k.title(): v for k, v in self.headers.items()}, body, "rejected")
            try:
                action, session, chat, text, reference = route(fake, self.path, headers, body)
            except Rejected as rejected:
                record.status = rejected.status
                with fake.lock:
                    fake.requests.append(record)
                return self._answer(rejected.status, rejected.body)
            record.action = action
            with fake.lock:
                fake.requests.append(record)
                script = fake.send_script if action == "send" else fake.presence_script
                behaviour = script.pop(0) if script else None
            if behaviour is None:
                behaviour = fake.send_behaviour() if action == "send" and fake.send_behaviour else 200
            if isinstance(behaviour, int) and behaviour != 200:
                record.status = behaviour
                return self._answer(behaviour, {"error": f"scripted {behaviour}"})
            if action != "send":
                return self._presence(behaviour, body)
            key = new_message_id(fake.kind)
            message_id = f"true_{chat}_{key}" if fake.kind == "waha" else key
            sent = SentText(fake.kind, session, chat, text, message_id, reference)
            with fake.lock:
                fake.sent.append(sent)
            if fake.echo is not None and fake.echo_before_answer:
                fake.echo(sent)
            if fake.on_accepted is not None:
                fake.on_accepted(sent)
            if behaviour == HANG:
                time.sleep(fake.hang_seconds)
            if behaviour == DROP:
                self.close_connection = True
                return
            status, answer = _answer(fake.kind, sent, key)
            self._answer(status, answer)
            if fake.echo is not None and not fake.echo_before_answer:
                fake.echo(sent)

        def _presence(self, behaviour: int | str, body: Any) -> None:
            if behaviour == HANG:
                time.sleep(fake.hang_seconds)
            elif fake.kind == "evolution" and isinstance(body, dict) and "delay" in body:
                hold = body["delay"] / 1000  # Evolution answers sendPresence only after the delay
                time.sleep(hold if fake.presence_hold_seconds is None else min(hold, fake.presence_hold_seconds))
            self._answer(*_presence_answer(fake.kind))

        def _answer(self, status: int, body: Any) -> None:
            loopback.answer(self, status, body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = loopback.serve_in_background(Handler, port=port)
    fake.url = loopback.url_of(server)
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatbatch_local.fake_gateway", description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--token", help=f"the credential it accepts (default {DEV_GATEWAY_TOKEN}; gowa user:password)")
    parser.add_argument("--api-url", default="http://127.0.0.1:3000", help="chatbatch (make dev) to echo to")
    parser.add_argument("--webhook-secret", default="dev-webhook-secret", help="sent as X-Webhook-Secret")
    parser.add_argument(
        "--webhook-hmac-key",
        help="WAHA: sign echoes with it (default: unsigned); GOWA: its webhook secret; Meta: the app secret (both"
        " default to make dev's)",
    )
    parser.add_argument("--echo", choices=("before", "after", "off"), default="before")
    parser.add_argument("--echo-route", choices=("gateway", "flat"), default="gateway")
    args = parser.parse_args(argv)
    token = args.token or (DEV_GOWA_TOKEN if args.kind == "gowa" else DEV_GATEWAY_TOKEN)
    fake = FakeGateway(kind=args.kind, token=token, echo_before_answer=args.echo == "before")
    if args.echo != "off":
        fake.echo = HttpWebhook(
            args.api_url,
            secret=args.webhook_secret,
            route=args.echo_route,
            hmac_key=args.webhook_hmac_key or dev_webhook_key(args.kind),
        )
    server = serve(fake, port=args.port)
    url = f"{fake.url}/{META_VERSION}" if args.kind == "meta" else fake.url
    print(f"fake {args.kind} gateway on {url} (token {token}); echoes to {args.api_url} ({args.echo})", flush=True)
    print(f"  GATEWAY={args.kind} GATEWAY_URL={url} GATEWAY_TOKEN={token} make dev", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
