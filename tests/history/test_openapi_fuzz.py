"""Property-based run of the api function against its own OpenAPI document (schemathesis).

Requests generated from the served document go through the local HTTP server to the handler, authenticated
as a tenant (with an admin token: every route, the settings and the console's actions included) that has
rooms, messages and a failed job. Whatever they carry, the API must answer without a 5xx, with a status code
the document lists, and with a body that matches the documented schema. Staff replies go to the log gateway.
"""

from __future__ import annotations

import threading
import uuid

import psycopg2
import pytest
import schemathesis
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.domain.api_tokens import Scope
from chatbatch.services import api_tokens
from chatbatch.settings import CommonSettings
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import SECRET
from tests.support.history import HistorySeed

MAX_EXAMPLES = 200  # per generation mode, over all operations: a few seconds each
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_server(database_url):
    from chatbatch_local.http_server import make_server
    from chatbatch_local.lambda_runtime import load_function

    server = make_server(load_function("api").lambda_handler, port=0, function_name="api")
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def fuzz_tenant(database_url) -> dict:
    """A tenant with an admin token, two rooms, a few messages and failed jobs; its first room id and a failed job's
    id are offered to generated cases."""
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    seed = HistorySeed(conn, f"sess-fuzz-{uuid.uuid4().hex[:10]}")
    rooms = [seed.room(f"62811{i}@s.whatsapp.net", at="2026-11-26T10:00:00Z", unread=i) for i in range(2)]
    for i in range(3):
        seed.message(rooms[0], f"fuzz-{i}", at=f"2026-11-26T10:00:0{i}Z", content=f"pesan {i}")
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ai_jobs (session_tok, chat_jid, status, batched_msg_ids, batch_size, error)"
            " SELECT %s, '628110@s.whatsapp.net', 'failed', '{}', 1, 'LLM down' FROM generate_series(1, 3)"
            " RETURNING id",
            (seed.tenant,),
        )
        job_id = cur.fetchone()[0]
    conn.close()
    db = Database(connect_params_from_settings(CommonSettings(database_url=database_url)))
    token = api_tokens.create_token(db, seed.tenant, label="fuzz", scope=Scope.ADMIN).token
    db.close()
    return {"token": token, "room_id": rooms[0], "job_id": job_id}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_the_api_keeps_its_openapi_promises(fuzz_server, fuzz_tenant, mode):
    schema = schemathesis.openapi.from_url(f"{fuzz_server}/swagger?format=json")
    headers = {"Authorization": f"Bearer {fuzz_tenant['token']}", "X-Webhook-Secret": SECRET}

    # schemathesis' own pytest plugin does not run under this pytest; its strategies with @given do.
    @given(case=schema.as_strategy(mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def keeps_promises(case) -> None:
        # Random room ids almost never exist: half the cases ask for the tenant's real room, to reach the 200s.
        for name in ("room_id", "job_id"):
            value = (case.path_parameters or {}).get(name)
            if isinstance(value, int) and value % 2:
                case.path_parameters[name] = fuzz_tenant[name]
        case.call_and_validate(base_url=fuzz_server, headers=headers, checks=CHECKS)

    keeps_promises()
