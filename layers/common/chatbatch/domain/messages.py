"""Incoming webhook messages: the gateway's flat JSON, validated, and the chat it belongs to. Pure, no I/O."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chatbatch.domain import jids
from chatbatch.domain.chats import Chat
from chatbatch.errors import InvalidFields

SenderType = Literal["contact", "user", "ai"]
MAX_ID_CHARS = 256
MAX_JID_CHARS = 256
MAX_NAME_CHARS = 256
# WhatsApp's own limit on one text message, in characters: a bubble longer than this cannot have been sent.
WHATSAPP_MAX_TEXT_CHARS = 65_536
MESSAGE_TYPE = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
# Times outside these bounds are certainly a wrong unit or a corrupted value: WhatsApp did not exist before 2009.
EARLIEST_YEAR, LATEST_YEAR = 2009, 2099
_EARLIEST = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
_LATEST = datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC)
# The same bounds as unix seconds and milliseconds (a number from 1e11 on is milliseconds: 1e11 s is year 5138).
UNIX_SECONDS = (int(_EARLIEST.timestamp()), int(_LATEST.timestamp()))  # [from, to)
UNIX_MILLISECONDS = (UNIX_SECONDS[0] * 1000, UNIX_SECONDS[1] * 1000)
_MILLISECONDS_FROM = 100_000_000_000


def _storable(value: str, what: str) -> str:
    """Postgres text cannot hold NUL, and UTF-8 cannot encode lone surrogates (valid JSON escapes)."""
    if "\x00" in value:
        raise ValueError(f"{what} contains a NUL character (\\u0000), which cannot be stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} contains an unpaired UTF-16 surrogate escape, which is not valid text") from None
    return value


def _identifier(value: str) -> str:
    value = _storable(value, "value")
    if value != value.strip() or not value.strip():
        raise ValueError("must not be blank or have leading/trailing spaces")
    return value


def _address(value: str) -> str:
    problem = jids.address_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def parse_timestamp(value: Any) -> datetime:
    """Unix seconds, unix milliseconds (numbers or numeric strings), or ISO-8601 (naive means UTC), from 2009
    through 2099: a number within ``UNIX_SECONDS`` or ``UNIX_MILLISECONDS`` (compared as given, so the bounds are
    exact), a text whose written year is within them (whatever its offset)."""
    if isinstance(value, bool):
        raise ValueError("must be unix seconds, unix milliseconds or an ISO-8601 string, not a boolean")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            return _written_time(text)
    if isinstance(value, (int, float)):
        if not isinstance(value, int) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        milliseconds = abs(value) >= _MILLISECONDS_FROM
        low, high = UNIX_MILLISECONDS if milliseconds else UNIX_SECONDS
        if not low <= value < high:
            unit = "milliseconds" if milliseconds else "seconds"
            raise ValueError(f"{value} unix {unit} is outside the plausible years {EARLIEST_YEAR}..{LATEST_YEAR}")
        return datetime.fromtimestamp(value / 1000 if milliseconds else value, tz=UTC)
    raise ValueError("must be unix seconds, unix milliseconds or an ISO-8601 string")


def _written_time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError("must be unix seconds, unix milliseconds or an ISO-8601 string") from None
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise ValueError(f"{text} is outside the plausible years {EARLIEST_YEAR}..{LATEST_YEAR}")
    return (parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)).astimezone(UTC)


class WebhookPayload(BaseModel):
    """The gateway's flat JSON message. snake_case and camelCase field names are both accepted."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False, populate_by_name=False)

    session_token: str = Field(
        validation_alias=AliasChoices("session_token", "sessionToken"), min_length=1, max_length=MAX_ID_CHARS
    )
    message_id: str = Field(
        validation_alias=AliasChoices("message_id", "messageId", "id"), min_length=1, max_length=MAX_ID_CHARS
    )
    from_: str = Field(validation_alias="from", min_length=1, max_length=MAX_JID_CHARS)
    to: str = Field(validation_alias="to", min_length=1, max_length=MAX_JID_CHARS)
    body: str = Field(default="", validation_alias="body", max_length=WHATSAPP_MAX_TEXT_CHARS)
    push_name: str | None = Field(
        default=None, validation_alias=AliasChoices("push_name", "pushName"), max_length=MAX_NAME_CHARS
    )
    timestamp: datetime | None = Field(default=None, validation_alias="timestamp")
    from_me: bool = Field(default=False, validation_alias=AliasChoices("from_me", "fromMe"), strict=True)
    type: str = Field(
        default="text",
        validation_alias=AliasChoices("type", "message_type", "messageType"),
        min_length=1,
        max_length=32,
        pattern=MESSAGE_TYPE.pattern,
    )
    is_group: bool | None = Field(default=None, validation_alias=AliasChoices("is_group", "isGroup"), strict=True)
    participant: str | None = Field(default=None, validation_alias="participant", max_length=MAX_JID_CHARS)
    reply_to: str | None = Field(
        default=None,
        validation_alias=AliasChoices("reply_to", "replyTo", "quoted_message_id", "quotedMessageId"),
        max_length=MAX_ID_CHARS,
    )

    @field_validator("session_token", "message_id", "from_", "to", "participant", "reply_to", mode="after")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        return None if value is None else _identifier(value)

    @field_validator("from_", "to", "participant", mode="after")
    @classmethod
    def _jid(cls, value: str | None) -> str | None:
        # Also keeps chat_rooms.chat_id ('<session_tok>_<jid>') unambiguous between tenants: no address has '_'.
        return None if value is None else _address(value)

    @field_validator("body", "push_name", mode="after")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _storable(value, "text")

    @field_validator("timestamp", mode="before")
    @classmethod
    def _timestamp(cls, value: Any) -> datetime | None:
        return None if value is None else parse_timestamp(value)

    @field_validator("type", mode="after")
    @classmethod
    def _type(cls, value: str) -> str:
        return value.lower()

    @model_validator(mode="after")
    def _group_needs_group_jid(self) -> WebhookPayload:
        if self.is_group is True and not jids.is_group(self.chat_jid):
            raise ValueError(_NOT_A_GROUP.format(jid=self.chat_jid))
        return self

    @property
    def chat_jid(self) -> str:
        """The chat key's remote JID: ``from`` for an incoming message, ``to`` for one the session sent."""
        return self.to if self.from_me else self.from_


@dataclass(frozen=True)
class IncomingMessage:
    """A validated webhook message with everything the chat history and the debounce need."""

    tenant: str
    message_id: str
    from_jid: str
    to_jid: str
    chat_jid: str
    participant: str | None
    body: str
    push_name: str | None
    message_type: str
    from_me: bool
    is_group: bool
    message_timestamp: datetime | None  # None: the gateway gave no time; the database's now() is used
    reply_to_message_id: str | None = None  # the message this one quotes (a reply), as the gateway names it

    @property
    def chat(self) -> Chat:
        return Chat(self.tenant, self.chat_jid)

    @property
    def chat_id(self) -> str:
        """The room's key (:class:`chatbatch.domain.chats.Chat`)."""
        return self.chat.room_key

    @property
    def sender_type(self) -> SenderType:
        return "user" if self.from_me else "contact"

    @property
    def sender_jid(self) -> str:
        if self.is_group and not self.from_me and self.participant:
            return self.participant
        return self.from_jid

    @property
    def contact_name(self) -> str | None:
        """The push name that names the chat: a contact's own, never the business side's or a group member's."""
        if self.from_me or self.is_group:
            return None
        return self.push_name.strip() or None if self.push_name else None

    def needs_reply(self, *, reply_groups: bool) -> bool:
        return not self.from_me and (reply_groups or not self.is_group)


def parse_webhook(document: Any) -> IncomingMessage:
    """Validate a decoded JSON document; raises ``InvalidFields`` naming every bad field."""
    if not isinstance(document, dict):
        raise InvalidFields(
            f"the body must be a JSON object, got {type(document).__name__}",
            details=[{"field": "(body)", "problem": "must be a JSON object"}],
        )
    try:
        payload = WebhookPayload.model_validate(document)
    except ValidationError as exc:
        raise _invalid([_problem(err) for err in exc.errors(include_url=False, include_input=False)]) from None
    is_group = payload.is_group if payload.is_group is not None else jids.is_group(payload.chat_jid)
    return IncomingMessage(
        tenant=payload.session_token,
        message_id=payload.message_id,
        from_jid=payload.from_,
        to_jid=payload.to,
        chat_jid=payload.chat_jid,
        participant=payload.participant,
        body=payload.body,
        push_name=payload.push_name,
        message_type=payload.type,
        from_me=payload.from_me,
        is_group=is_group,
        message_timestamp=payload.timestamp,
        reply_to_message_id=payload.reply_to,
    )


def gateway_message(
    *,
    source: dict[str, str],
    tenant: Any,
    message_id: Any,
    from_jid: Any,
    chat_jid: Any,
    from_me: bool,
    to_jid: Any = None,
    participant: Any = None,
    body: Any = None,
    push_name: Any = None,
    timestamp: Any = None,
    message_type: str = "text",
    reply_to_message_id: Any = None,
) -> IncomingMessage:
    """A message a gateway's adapter read from its own event, checked by the flat route's rules.

    ``source`` names where each value came from in the gateway's payload (``{"from_jid": "payload.from"}``), so
    a 422 names the gateway's field. ``to_jid`` may be unknown (None): the business number is not in every event.
    A push name or a quoted id that breaks the rules is left out rather than costing the message.
    """
    problems: list[dict] = []

    def checked(name: str, value: Any, rule, *, optional: bool = False, lenient: bool = False) -> Any:
        if value is None and optional:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError("is required" if value is None else "must be a string")
            return rule(value)
        except ValueError as exc:
            if lenient:
                return None
            problem = {"field": source.get(name, name), "problem": str(exc)}
            if problem not in problems:  # one payload field may feed two values (the sender is the chat)
                problems.append(problem)
            return None

    chat = checked("chat_jid", chat_jid, _gateway_address)
    sender = chat if from_jid == chat_jid and chat else checked("from_jid", from_jid, _gateway_address)
    fields = {
        "tenant": checked("tenant", tenant, _gateway_id),
        "message_id": checked("message_id", message_id, _gateway_id),
        "to_jid": checked("to_jid", to_jid, _gateway_address, optional=True) or "",
        "participant": checked("participant", participant, _gateway_address, optional=True),
        "body": checked("body", "" if body is None else body, _gateway_text),
        "push_name": checked("push_name", push_name, _gateway_name, optional=True, lenient=True),
        "reply_to_message_id": checked("reply_to_message_id", reply_to_message_id, _gateway_id, lenient=True),
    }
    at = None
    if timestamp is not None:
        try:
            at = parse_timestamp(timestamp)
        except ValueError as exc:
            problems.append({"field": source.get("timestamp", "timestamp"), "problem": str(exc)})
    if problems:
        raise _invalid(problems)
    return IncomingMessage(
        from_jid=sender,
        chat_jid=chat,
        message_type=message_type.lower() if MESSAGE_TYPE.match(message_type) else "unknown",
        from_me=from_me,
        is_group=jids.is_group(chat),
        message_timestamp=at,
        **fields,
    )


def _at_most(value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(f"must have at most {limit} characters")
    return value


def _gateway_id(value: str) -> str:
    return _identifier(_at_most(value, MAX_ID_CHARS))


def _gateway_address(value: str) -> str:
    return _address(_identifier(_at_most(value, MAX_JID_CHARS)))


def _gateway_text(value: str) -> str:
    return _storable(_at_most(value, WHATSAPP_MAX_TEXT_CHARS), "text")


def _gateway_name(value: str) -> str:
    return _storable(_at_most(value, MAX_NAME_CHARS), "text")


_NOT_A_GROUP = "is_group is true but the chat JID {jid!r} is not a group JID (…@g.us)"


def _invalid(details: list[dict]) -> InvalidFields:
    summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details)
    return InvalidFields(f"invalid webhook message: {summary}", details=details)


def _problem(err: dict) -> dict:
    loc = err.get("loc") or ()
    name = str(loc[0]) if loc else "(body)"
    message = str(err.get("msg", "is invalid"))
    if err.get("type") == "missing":
        message = "is required"
    message = message.removeprefix("Value error, ")
    return {"field": name, "problem": message}
