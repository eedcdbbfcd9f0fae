"""Typed errors. Use cases raise these; the API edge translates them to HTTP answers in one place."""

from __future__ import annotations


class ChatbatchError(Exception):
    """Base of every error this service raises on purpose."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_body(self) -> dict:
        body: dict = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(ChatbatchError):
    status_code = 400
    code = "bad_request"


class Unauthorized(ChatbatchError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ChatbatchError):
    """403: the caller is known but may not do this (a verification with the wrong token, a missing scope)."""

    status_code = 403
    code = "forbidden"


class MissingScope(Forbidden):
    """403: the API token is valid but its scope does not allow this; the message names the scope needed."""

    code = "missing_scope"


class NotFound(ChatbatchError):
    status_code = 404
    code = "not_found"


class Conflict(ChatbatchError):
    """409: the request is valid but the thing it acts on is not in a state that allows it (e.g. retrying a job
    that did not fail)."""

    status_code = 409
    code = "conflict"


class PayloadTooLarge(ChatbatchError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(ChatbatchError):
    """415: a request body the API would parse is not JSON (another Content-Type)."""

    status_code = 415
    code = "unsupported_media_type"


class InvalidFields(ChatbatchError):
    """422: the request parsed but one or more fields are invalid; ``details`` names each field and why."""

    status_code = 422
    code = "invalid_fields"


class ChatKeyTaken(InvalidFields):
    """422: the chat's room key (``<session token>_<JID>``) belongs to another session token (a legacy row): the
    message is not stored, and that other tenant's room is never moved."""

    def __init__(self, chat_id: str) -> None:
        super().__init__(
            f"chat {chat_id!r} belongs to another session token",
            details=[{"field": "session_token", "problem": "another session owns a chat with this key"}],
        )


class GatewayUnavailable(ChatbatchError):
    """502: the WhatsApp gateway did not take a staff reply; nothing was sent, the operator may try again."""

    status_code = 502
    code = "gateway_unavailable"


class GatewayTimeout(ChatbatchError):
    """504: the WhatsApp gateway took a staff reply but gave no answer: it may have been sent. The history shows it
    ``unconfirmed`` until WhatsApp's echo of it arrives (then ``sent``); the operator should check before sending it
    again."""

    status_code = 504
    code = "gateway_timeout"


class DatabaseUnavailable(ChatbatchError):
    """503: the database cannot be reached; the caller (the gateway) should retry later."""

    status_code = 503
    code = "database_unavailable"


class ConfigurationError(ChatbatchError):
    """A setting is missing or invalid; raised at cold start, names the environment variable."""

    code = "configuration_error"
