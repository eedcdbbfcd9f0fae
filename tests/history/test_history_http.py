"""The chat-history API through the local HTTP server (real HTTP requests → API Gateway v2 events → handler)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from chatbatch.api.resolver import create_app
from chatbatch.settings import ApiSettings
from openapi_spec_validator import validate

T0 = "2026-11-26T10:00:00Z"
UI_ORIGIN = "https://ui.example.com"


def request(
    base: str,
    method: str,
    path: str,
    *,
    token: str | None = None,
    headers: dict | None = None,
    body: object = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict, bytes]:
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if body is not None or raw is not None:
        all_headers["Content-Type"] = content_type
        body = raw if raw is not None else json.dumps(body).encode()
    else:
        body = b"" if method == "POST" else None
    req = urllib.request.Request(base + path, method=method, headers=all_headers, data=body)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


def test_pages_mark_read_and_isolation_over_http(http_base_url, seed, token, other_tenant, pg):
    rooms = seed.rooms(3, at=T0)
    seed.message(rooms[0], "m1", at=T0)
    other, _ = other_tenant
    with pg.cursor() as cur:
        cur.execute("SELECT id FROM chat_rooms WHERE user_token = %s", (other.tenant,))
        foreign = cur.fetchone()[0]

    status, headers, raw = request(http_base_url, "GET", "/chat-rooms?limit=2", token=token)
    first = json.loads(raw)
    _, _, raw = request(http_base_url, "GET", f"/chat-rooms?limit=2&cursor={first['next_cursor']}", token=token)
    second = json.loads(raw)

    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert [r["id"] for r in first["items"] + second["items"]] == sorted(rooms, reverse=True)
    assert second["next_cursor"] is None
    assert (
        json.loads(request(http_base_url, "GET", f"/chat-rooms/{rooms[0]}/messages", token=token)[2])["items"][0][
            "message_id"
        ]
        == "m1"
    )
    assert request(http_base_url, "POST", f"/chat-rooms/{rooms[0]}/read", token=token)[0] == 200
    assert request(http_base_url, "GET", f"/chat-rooms/{foreign}/messages", token=token)[0] == 404
    assert request(http_base_url, "POST", f"/chat-rooms/{foreign}/read", token=token)[0] == 404


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/chat-rooms?limit=500", 422),
        ("/chat-rooms?cursor=nope", 422),
        ("/chat-rooms/x/messages", 422),
    ],
)
def test_bad_input_over_http_is_a_4xx_json_answer(http_base_url, token, path, expected):
    status, headers, raw = request(http_base_url, "GET", path, token=token)
    body = json.loads(raw)
    assert status == expected and body["message"] and headers["Content-Type"].startswith("application/json")


def test_no_token_over_http_is_401(http_base_url):
    status, _, raw = request(http_base_url, "GET", "/chat-rooms")
    assert status == 401 and json.loads(raw)["error"] == "unauthorized"


def test_the_openapi_document_and_swagger_ui_are_served(http_base_url):
    status, _headers, raw = request(http_base_url, "GET", "/swagger?format=json")
    document = json.loads(raw)
    ui_status, ui_headers, page = request(http_base_url, "GET", "/swagger")

    assert status == 200
    assert document["info"]["title"] == "chatbatch API"
    assert {
        "/chat-rooms",
        "/chat-rooms/{room_id}/messages",
        "/chat-rooms/{room_id}/read",
        "/webhook",
        "/health",
    } <= set(document["paths"])
    assert document["components"]["securitySchemes"]["historyToken"]["scheme"] == "bearer"
    assert document["paths"]["/chat-rooms"]["get"]["security"] == [{"historyToken": []}]
    assert document["paths"]["/webhook"]["post"]["security"] == [{"webhookSecret": []}]
    limit = next(p for p in document["paths"]["/chat-rooms"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"], limit["schema"]["default"]) == (1, 100, 20)
    assert ui_status == 200 and ui_headers["Content-Type"].startswith("text/html") and b"swagger" in page.lower()


def test_the_document_declares_each_body_a_route_reads_itself_and_the_cursors_format(http_base_url):
    document = json.loads(request(http_base_url, "GET", "/swagger?format=json")[2])
    posts = {
        path: item["post"] for path, item in document["paths"].items() if path.startswith("/webhook") and "post" in item
    }

    # every webhook route reads its raw body (signatures cover its bytes), and the document still says what it is
    assert len(posts) == 9 and all(op["requestBody"]["required"] for op in posts.values())
    flat = posts["/webhook"]["requestBody"]["content"]["application/json"]["schema"]
    assert flat["required"] == ["session_token", "message_id", "from", "to"]
    assert set(posts["/webhook/waha"]["requestBody"]["content"]["application/json"]["schema"]["required"]) == {"event"}
    # a route that takes either proof says so; every cursor has the one format
    assert posts["/webhook/gowa"]["security"] == [{"hubSignature": []}, {"webhookSecret": []}]
    cursors = [
        p["schema"]
        for path in (
            "/chat-rooms",
            "/chat-rooms/{room_id}/messages",
            "/chat-rooms/changes",
            "/chat-rooms/{room_id}/jobs",
        )
        for p in document["paths"][path]["get"]["parameters"]
        if p["name"] in ("cursor", "before", "since")
    ]
    assert len(cursors) == 4
    assert {c["anyOf"][0]["pattern"] for c in cursors} == {r"^[0-9]{1,16}\.[0-9]{1,18}$"}


def test_a_request_without_its_token_is_a_401_whatever_its_fields(http_base_url):
    # Powertools checks a body's fields before a route's token: the token is still answered first
    status, _, answer = request(http_base_url, "PATCH", "/settings", body={"time_zone": "Mars/Olympus"})
    assert status == 401 and json.loads(answer)["error"] == "unauthorized"


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=x", "text/plain"])
def test_a_body_that_is_not_json_is_a_415(http_base_url, token, content_type):
    status, _, answer = request(
        http_base_url, "POST", "/chat-rooms/1/bot", token=token, raw=b'{"paused": true}', content_type=content_type
    )
    assert (status, json.loads(answer)["error"]) == (415, "unsupported_media_type")


def test_the_served_document_is_valid_openapi(http_base_url):
    document = json.loads(request(http_base_url, "GET", "/swagger?format=json")[2])
    validate(document)  # raises, naming the offending part, when the document breaks the OpenAPI 3.1 schema
    assert document["openapi"].startswith("3.1")


@pytest.fixture
def cors_server(database_url):
    """An api app configured with CORS_ALLOW_ORIGIN for the UI, behind the local HTTP server."""
    from chatbatch_local.http_server import make_server

    app = create_app(ApiSettings(cors_allow_origin=UI_ORIGIN))
    server = make_server(lambda event, context: app.resolve(event, context), port=0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_cors_allows_the_configured_ui_origin_only(cors_server, token):
    preflight = request(
        cors_server,
        "OPTIONS",
        "/chat-rooms",
        headers={
            "Origin": UI_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    allowed = request(cors_server, "GET", "/chat-rooms", token=token, headers={"Origin": UI_ORIGIN})
    foreign = request(cors_server, "GET", "/chat-rooms", token=token, headers={"Origin": "https://evil.example"})

    assert preflight[0] == 204
    assert preflight[1]["Access-Control-Allow-Origin"] == UI_ORIGIN
    assert "authorization" in preflight[1]["Access-Control-Allow-Headers"].lower()
    assert allowed[0] == 200 and allowed[1]["Access-Control-Allow-Origin"] == UI_ORIGIN
    assert "Access-Control-Allow-Origin" not in foreign[1]


def test_without_a_configured_origin_there_are_no_cors_headers(http_base_url, token):
    _, headers, _ = request(http_base_url, "GET", "/chat-rooms", token=token, headers={"Origin": UI_ORIGIN})
    assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize("value, expected", [("", None), ("  ", None), (UI_ORIGIN, UI_ORIGIN)])
def test_the_cors_setting_reads_an_empty_template_default_as_off(monkeypatch, value, expected):
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", value)
    assert ApiSettings().cors_allow_origin == expected
