"""Secrets by reference, for AWS: Secrets Manager values read through Powertools parameters, each cached for
``SECRETS_MAX_AGE_SECONDS``, so a rotated secret reaches every warm container without a redeploy.

A rotation during traffic loses no request (docs/deploy.md, "Rotating secrets"):
- an incoming proof (the webhook secret, a gateway's signing key) is checked against the current value, then —
  for ``SECRETS_PREVIOUS_GRACE_SECONDS`` after the current version was made — the previous one (``AWSPREVIOUS``:
  a gateway still sending the old value), then against the value read afresh (a gateway already sending the new
  value to a container whose cache is older): ``Secret.candidates``;
- an outgoing credential (the LLM key, the gateway token) that its peer refuses (401/403) is read afresh once
  and the call made again: ``with_fresh_secret``.
A fresh read happens at most once per ``MIN_REFRESH_SECONDS`` per secret, so a stream of wrong proofs cannot turn
into a stream of Secrets Manager calls.

Locally a secret is given directly (``WEBHOOK_SECRET=...``): it is that value, never re-read.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")

MIN_REFRESH_SECONDS = 5.0
CURRENT, PREVIOUS = "AWSCURRENT", "AWSPREVIOUS"
_refreshed_at: dict[str, float] = {}
_refresh_lock = threading.Lock()
_previous_values: dict[str, Any] = {}  # the provider of previous values (its own cache: Powertools keys by name)


@dataclass(frozen=True)
class Secret:
    """One secret: ``value`` given directly (local runs), or ``secret_id`` in Secrets Manager (AWS). A JSON secret
    may hold several values: ``json_key`` picks one, else the whole string is the value."""

    value: str | None = None
    secret_id: str | None = None
    json_key: str | None = None
    max_age: int = 300
    previous_grace: float = 3600.0

    @property
    def configured(self) -> bool:
        return self.value is not None or self.secret_id is not None

    def current(self, *, fresh: bool = False) -> str | None:
        if self.secret_id is None:
            return self.value
        from aws_lambda_powertools.utilities import parameters  # on first use: local runs never import boto3

        return self._pick(parameters.get_secret(self.secret_id, max_age=self.max_age, force_fetch=fresh))

    def refreshed(self) -> str | None:
        """The value read afresh from Secrets Manager — unless that happened within MIN_REFRESH_SECONDS."""
        if self.secret_id is None:
            return self.value
        with _refresh_lock:
            now = time.monotonic()
            due = now - _refreshed_at.get(self.secret_id, -MIN_REFRESH_SECONDS) >= MIN_REFRESH_SECONDS
            if due:
                _refreshed_at[self.secret_id] = now
        return self.current(fresh=due)

    def previous(self, current: str | None) -> str | None:
        """The value before ``current`` (AWSPREVIOUS), while that rotation is younger than ``previous_grace``, else
        None. Cached per current value: once a container sees a new current value, it asks for its previous one."""
        if self.secret_id is None or current is None:
            return None
        provider = _previous_values.get("provider") or _previous_values.setdefault("provider", _previous_provider())
        seen = hashlib.sha256(current.encode("utf-8")).hexdigest()[:16]
        raw = provider.get(f"{self.secret_id}|{self.previous_grace}|{seen}", max_age=self.max_age)
        return self._pick(raw) if raw else None

    def candidates(self) -> Iterator[str]:
        """The values an incoming proof may match, lazily, in order: current, previous (grace), read afresh and
        its previous one."""
        current = self.current()
        if current:
            yield current
        previous = self.previous(current)
        if previous:
            yield previous
        fresh = self.refreshed()
        if fresh and fresh != current:
            yield fresh
            if (before_fresh := self.previous(fresh)) and before_fresh not in (previous, current):
                yield before_fresh

    def _pick(self, raw: str | None) -> str | None:
        if raw is None or self.json_key is None or not raw.lstrip().startswith("{"):
            return raw
        return str(json.loads(raw)[self.json_key])


def secret(value: Any, secret_id: str | None, *, json_key: str | None, settings: Any) -> Secret:
    """A setting's secret: ``value`` (a ``SecretStr``, local runs) or its Secrets Manager id (AWS), read with the
    settings' SECRETS_MAX_AGE_SECONDS and SECRETS_PREVIOUS_GRACE_SECONDS."""
    return Secret(
        value=value.get_secret_value() if value is not None else None,
        secret_id=None if value is not None else secret_id,
        json_key=json_key,
        max_age=settings.secrets_max_age_seconds,
        previous_grace=settings.secrets_previous_grace_seconds,
    )


def as_secret(value: str | Secret | None) -> Secret:
    """A credential given as plain text (tests, local tools) as a ``Secret``."""
    return value if isinstance(value, Secret) else Secret(value=value)


def with_fresh_secret(secret: Secret, call: Callable[[str | None], T], *, refused: Callable[[Exception], bool]) -> T:
    """``call(value)``; when the peer ``refused`` that value (401/403: the secret may have rotated), once more with
    the value read afresh — if it changed."""
    value = secret.current()
    try:
        return call(value)
    except Exception as exc:
        if not refused(exc):
            raise
        fresh = secret.refreshed()
        if fresh == value:
            raise
        return call(fresh)


def secret_json(secret_id: str, *, max_age: int) -> dict[str, Any]:
    from aws_lambda_powertools.utilities import parameters

    return json.loads(parameters.get_secret(secret_id, max_age=max_age))


def forget_cached_secrets() -> None:
    """Read every secret afresh on next use (a database password refused: RDS rotated it)."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    _previous_values.clear()
    _refreshed_at.clear()


def _previous_provider() -> Any:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    class PreviousSecrets(SecretsProvider):
        """``AWSPREVIOUS`` of ``<id>|<grace seconds>|<current seen>`` while ``AWSCURRENT`` is younger than the
        grace, else "".
        A provider of its own: Powertools' cache key is the name only, so the stages must not share one."""

        def _get(self, name: str, **sdk_options: Any) -> str:
            secret_id, grace, _ = name.rsplit("|", 2)
            versions = self.client.list_secret_version_ids(SecretId=secret_id)["Versions"]
            current = next((v for v in versions if CURRENT in v.get("VersionStages", [])), None)
            has_previous = any(PREVIOUS in v.get("VersionStages", []) for v in versions)
            if current is None or not has_previous:
                return ""
            if datetime.now(UTC) - current["CreatedDate"] > timedelta(seconds=float(grace)):
                return ""
            return self.client.get_secret_value(SecretId=secret_id, VersionStage=PREVIOUS)["SecretString"]

    return PreviousSecrets()
