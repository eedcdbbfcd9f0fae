"""How an API token looks and what is stored instead of it (pure)."""

from __future__ import annotations

import hashlib

import pytest
from chatbatch.domain.api_tokens import TOKEN_PREFIX, looks_like_token, new_token, owner_problems, token_digest


def test_tokens_are_prefixed_random_and_url_safe():
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert looks_like_token(token) and token.startswith(TOKEN_PREFIX)
        assert len(token) >= len(TOKEN_PREFIX) + 43
        assert all(c.isalnum() or c in "-_" for c in token[len(TOKEN_PREFIX) :])


def test_the_digest_is_the_raw_sha256():
    assert token_digest("cbt_abc") == hashlib.sha256(b"cbt_abc").digest()
    assert len(token_digest(new_token())) == 32


@pytest.mark.parametrize(
    "tenant, label, fields",
    [
        ("sess-1", None, []),
        ("sess-1", "dashboard", []),
        ("", None, ["session_tok"]),
        ("  ", None, ["session_tok"]),
        ("s" * 201, "x" * 201, ["session_tok", "label"]),
        ("a\x00b", None, ["session_tok"]),
        ("ok", "a\x00", ["label"]),
    ],
)
def test_owner_problems_name_each_bad_field(tenant, label, fields):
    assert [p["field"] for p in owner_problems(tenant, label)] == fields
