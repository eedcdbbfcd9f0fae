"""Secrets by reference, for AWS: Secrets Manager values cached for the life of a warm container."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=32)
def secret_string(secret_id: str) -> str:
    import boto3  # imported on first use only: cold starts of local runs never pay for boto3

    response = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)
    return response["SecretString"]


def forget_cached_secrets() -> None:
    """Read every secret afresh on next use (after a rotation made a cached value stale)."""
    secret_string.cache_clear()


def secret_json(secret_id: str) -> dict[str, Any]:
    return json.loads(secret_string(secret_id))


def resolve(value: Any, secret_id: str | None, *, json_key: str | None = None) -> str | None:
    """A secret given directly (``SecretStr``, local runs) or by Secrets Manager id (AWS).

    A JSON secret may hold several keys; ``json_key`` picks one, else the whole string is the value.
    """
    if value is not None:
        return value.get_secret_value()
    if secret_id is None:
        return None
    raw = secret_string(secret_id)
    if json_key is not None and raw.lstrip().startswith("{"):
        return str(json.loads(raw)[json_key])
    return raw
