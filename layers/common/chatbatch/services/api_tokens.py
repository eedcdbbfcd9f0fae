"""Use cases of the history API's bearer tokens: create (shown once), revoke, list, authenticate a request."""

from __future__ import annotations

from dataclasses import dataclass

from chatbatch.db import Database
from chatbatch.domain.api_tokens import Scope, looks_like_token, new_token, owner_problems, token_digest
from chatbatch.errors import InvalidFields, MissingScope, NotFound, Unauthorized
from chatbatch.store import api_tokens
from chatbatch.store.api_tokens import TokenRecord


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``token`` is the only copy of the secret; the database keeps its digest."""

    token: str
    record: TokenRecord


@dataclass(frozen=True)
class Tenant:
    """Who a request acts for: the session token its bearer token belongs to, and what the token may do."""

    name: str
    token_id: int
    scope: Scope = Scope.OPERATE
    label: str | None = None

    @property
    def operator(self) -> str:
        """How the person behind the token is named in the history and the settings' change log."""
        return self.label or f"token {self.token_id}"

    def require(self, needed: Scope) -> Tenant:
        """This tenant, if its token has the ``needed`` scope; else ``MissingScope`` naming it."""
        if not self.scope.grants(needed):
            raise MissingScope(
                f"this API token has the {self.scope.value} scope; this needs the {needed.value} scope "
                f"(`chatbatch token create <session_tok> --scope {needed.value}`)",
                details=[{"field": "scope", "problem": f"needs {needed.value}, the token has {self.scope.value}"}],
            )
        return self


def create_token(db: Database, tenant: str, *, label: str | None = None, scope: Scope = Scope.OPERATE) -> IssuedToken:
    tenant = tenant.strip()
    problems = owner_problems(tenant, label)
    if problems:
        raise InvalidFields("; ".join(f"{p['field']} {p['problem']}" for p in problems), details=problems)
    token = new_token()
    record = db.transaction(
        lambda cur: api_tokens.insert(
            cur, tenant=tenant, token_hash=token_digest(token), label=label or None, scope=scope.value
        )
    )
    return IssuedToken(token, record)


def revoke_token(db: Database, token_or_id: str) -> TokenRecord:
    """Revoke by the token itself or by its id (as ``token list`` shows it); revoking twice is harmless."""
    text = token_or_id.strip()
    if looks_like_token(text):
        revoked = db.transaction(lambda cur: api_tokens.revoke(cur, token_hash=token_digest(text)))
    elif text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
        revoked = db.transaction(lambda cur: api_tokens.revoke(cur, token_id=int(text)))
    else:
        raise InvalidFields("give the token itself (cbt_…) or its numeric id from `chatbatch token list`")
    if revoked is None:
        raise NotFound(f"no API token {_describe(text)}")
    return revoked


def list_tokens(db: Database, tenant: str) -> list[TokenRecord]:
    return db.transaction(lambda cur: api_tokens.list_for_session(cur, tenant))


def authenticate(db: Database, token: str) -> Tenant:
    """The tenant of a bearer token; ``Unauthorized`` when it is unknown or revoked.

    Looked up by digest: how long the index search takes tells nothing about the token, only about its hash.
    """
    record = None
    if looks_like_token(token):
        record = db.transaction(lambda cur: api_tokens.use_active(cur, token_digest(token)))
    if record is None:
        raise Unauthorized("unknown or revoked API token; create one with `chatbatch token create <session_tok>`")
    return Tenant(record.tenant, record.id, Scope(record.scope), record.label)


def _describe(text: str) -> str:
    return f"with id {text}" if text.isdigit() else "matches that token"
