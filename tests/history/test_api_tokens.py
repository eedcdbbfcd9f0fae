"""API tokens: stored hashed only, revocable, resolved to their tenant; the `chatbatch token` CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from chatbatch.errors import InvalidFields, NotFound, Unauthorized
from chatbatch.services import api_tokens

from tests.support.history import call, history_request


def token_rows(pg, tenant: str) -> list[tuple]:
    with pg.cursor() as cur:
        cur.execute("SELECT * FROM api_tokens WHERE session_tok = %s ORDER BY id", (tenant,))
        return cur.fetchall()


def test_only_the_sha256_of_a_token_is_stored(pg, db, tenant):
    issued = api_tokens.create_token(db, tenant, label="dashboard")

    rows = token_rows(pg, tenant)
    assert len(rows) == 1
    assert issued.token.startswith("cbt_") and len(issued.token) > 40
    assert issued.token not in repr(rows) and issued.token[4:] not in repr(rows)
    with pg.cursor() as cur:
        cur.execute("SELECT token_hash FROM api_tokens WHERE id = %s", (issued.record.id,))
        assert bytes(cur.fetchone()[0]) == hashlib.sha256(issued.token.encode()).digest()


def test_tokens_are_unique_and_each_resolves_to_its_tenant(db, tenant):
    first = api_tokens.create_token(db, tenant)
    second = api_tokens.create_token(db, tenant)
    other = api_tokens.create_token(db, tenant + "-other")

    assert len({first.token, second.token, other.token}) == 3
    assert api_tokens.authenticate(db, first.token).name == tenant
    assert api_tokens.authenticate(db, other.token).name == tenant + "-other"


def test_revoke_by_id_or_by_token_and_twice_keeps_the_first_time(db, tenant):
    by_id = api_tokens.create_token(db, tenant)
    by_token = api_tokens.create_token(db, tenant)

    first = api_tokens.revoke_token(db, str(by_id.record.id))
    again = api_tokens.revoke_token(db, str(by_id.record.id))
    api_tokens.revoke_token(db, by_token.token)

    assert first.revoked_at is not None and again.revoked_at == first.revoked_at
    for issued in (by_id, by_token):
        with pytest.raises(Unauthorized):
            api_tokens.authenticate(db, issued.token)


@pytest.mark.parametrize(
    "what, error",
    [("999999999999", NotFound), ("cbt_never-issued", NotFound), ("not-a-token", InvalidFields), ("-1", InvalidFields)],
)
def test_revoking_an_unknown_token_says_so(db, what, error):
    with pytest.raises(error):
        api_tokens.revoke_token(db, what)


@pytest.mark.parametrize("tenant, label", [("", None), ("   ", None), ("s" * 201, None), ("ok", "x" * 201)])
def test_bad_session_or_label_is_refused_and_writes_nothing(pg, db, tenant, label):
    with pytest.raises(InvalidFields):
        api_tokens.create_token(db, tenant, label=label)
    assert token_rows(pg, tenant.strip()) == []


def test_use_is_recorded_at_most_once_a_minute(api_function, pg, tenant, token):
    def last_used():
        with pg.cursor() as cur:
            cur.execute("SELECT last_used_at FROM api_tokens WHERE session_tok = %s", (tenant,))
            return cur.fetchone()[0]

    assert last_used() is None
    call(api_function, history_request("GET", "/chat-rooms", token=token))
    first = last_used()
    call(api_function, history_request("GET", "/chat-rooms", token=token))
    assert first is not None and last_used() == first


# --- the CLI, as an operator runs it ----------------------------------------------------------------------


def chatbatch(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "chatbatch_local.cli", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_cli_creates_a_token_on_its_last_line_that_the_api_accepts_until_revoked(
    api_function, database_url, pg, tenant
):
    created = chatbatch(database_url, "token", "create", tenant, "--label", "ui")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("cbt_")
    assert call(api_function, history_request("GET", "/chat-rooms", token=token))[0] == 200

    listed = chatbatch(database_url, "token", "list", tenant)
    assert listed.returncode == 0 and "active" in listed.stdout and "ui" in listed.stdout
    assert token not in listed.stdout

    revoked = chatbatch(database_url, "token", "revoke", token)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert call(api_function, history_request("GET", "/chat-rooms", token=token))[0] == 401
    assert token not in repr(token_rows(pg, tenant))


def test_cli_errors_go_to_stderr_with_a_nonzero_exit(database_url):
    result = chatbatch(database_url, "token", "revoke", "999999999999")
    assert result.returncode == 2 and "no API token" in result.stderr and result.stdout == ""
    usage = chatbatch(database_url, "token")
    assert usage.returncode == 2 and "create" in usage.stderr
