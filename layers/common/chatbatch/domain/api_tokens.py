"""API tokens of the chat-history API: how one looks, and the digest that is stored instead of it.

A token is 32 random bytes (URL-safe base64) behind a recognisable prefix, so a leaked one is easy to spot
in logs or in a secret scanner. Only its SHA-256 digest is stored: a plain hash is enough (no salt, no slow
KDF) because the token is random and long, not a password a person chose.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import Enum

TOKEN_PREFIX = "cbt_"
_RANDOM_BYTES = 32
MAX_TENANT_CHARS = 200
MAX_LABEL_CHARS = 200


class Scope(str, Enum):
    """What a token may do; each scope includes the ones before it."""

    READ = "read"  # the chat history: rooms, messages, jobs, mark read
    OPERATE = "operate"  # also: reply as staff, pause/resume the bot in a chat, retry a failed job
    ADMIN = "admin"  # also: the tenant's bot settings

    def grants(self, needed: Scope) -> bool:
        order = list(Scope)
        return order.index(self) >= order.index(needed)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def token_digest(token: str) -> bytes:
    """The SHA-256 digest stored in ``api_tokens.token_hash`` (32 bytes)."""
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).digest()


def looks_like_token(text: str) -> bool:
    return text.startswith(TOKEN_PREFIX)


def owner_problems(tenant: str, label: str | None) -> list[dict[str, str]]:
    """What is wrong with the owner (session token) and label of a token to create; empty when nothing."""
    problems = []
    if not tenant.strip() or len(tenant) > MAX_TENANT_CHARS or "\x00" in tenant:
        problems.append({"field": "session_tok", "problem": f"must be 1-{MAX_TENANT_CHARS} characters"})
    if label is not None and (len(label) > MAX_LABEL_CHARS or "\x00" in label):
        problems.append({"field": "label", "problem": f"must be at most {MAX_LABEL_CHARS} characters"})
    return problems
