"""The local dev HTTP server (`make dev`'s API Gateway stand-in), end to end over real HTTP."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from chatbatch_local import http_server
from chatbatch_local.postgres import free_port

from tests.support import SECRET
from tests.support.foundation import counts, message
from tests.support.gateways import META_APP_SECRET, META_VERIFY_TOKEN, as_tenant, fixture, hub_signature


@contextmanager
def local_server(handler) -> Iterator[int]:
    """The local HTTP server (what `make dev` runs) in front of ``handler``, on a free port; yields the port."""
    port = free_port()
    server = http_server.make_server(handler, port=port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def server_port(api_function):
    with local_server(api_function.lambda_handler) as port:
        yield port


def post(port: int, path: str, payload: object, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_a_webhook_over_http_lands_and_its_retry_is_a_duplicate(server_port, pg, tenant):
    # Given the local server in front of the api function
    # When the gateway posts a message, then retries it
    first = post(server_port, "/webhook", message(tenant, "http-1"), {"X-Webhook-Secret": SECRET})
    retry = post(server_port, "/webhook", message(tenant, "http-1"), {"X-Webhook-Secret": SECRET})

    # Then the first is accepted into all three tables and the retry changes nothing
    assert (first[0], first[1]["status"]) == (200, "accepted")
    assert (retry[0], retry[1]["status"]) == (200, "duplicate")
    assert counts(pg, tenant) == (1, 1, 1)


def test_the_functions_own_errors_pass_through(server_port, pg, tenant):
    status, body = post(server_port, "/webhook", message(tenant, "http-2"), {"X-Webhook-Secret": "wrong"})

    assert (status, body["error"]) == (401, "unauthorized")
    assert counts(pg, tenant) == (0, 0, 0)


def test_a_request_over_the_api_gateway_size_limit_is_refused_before_reading_it(server_port):
    # Given a client announcing a body larger than API Gateway accepts (it never needs to send it)
    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=10)
    conn.putrequest("POST", "/webhook")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(http_server.MAX_REQUEST_BYTES + 1))
    conn.endheaders()

    # When the server answers
    response = conn.getresponse()

    # Then it is a 413, as API Gateway would answer
    assert response.status == 413
    assert json.loads(response.read()) == {"message": "Request Entity Too Large"}
    conn.close()


def test_a_malformed_content_length_is_a_400(server_port):
    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=10)
    conn.putrequest("POST", "/webhook")
    conn.putheader("Content-Length", "lots")
    conn.endheaders()

    response = conn.getresponse()

    assert response.status == 400
    conn.close()


def test_every_request_reaches_the_function_on_one_warm_container_thread():
    # Given a function that notes the thread it runs on (where its cached connection lives)
    threads = []

    def handler(event: dict, context: object) -> dict:
        threads.append(threading.current_thread())  # the object: an ident can be reused by a later thread
        return {"statusCode": 200, "body": "{}"}

    server = http_server.make_server(handler, port=free_port())
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    try:
        # When three requests arrive on separate connections
        for _ in range(3):
            assert post(server.server_address[1], "/health", {}, {}) == (200, {})
    finally:
        server.shutdown()
        server.server_close()

    # Then the function ran three times, always on the same thread, as in one Lambda container
    assert len(threads) == 3 and threads[0] is threads[1] is threads[2]


def test_a_signed_cloud_api_delivery_and_metas_verification_over_http(server_port, pg, tenant):
    # Given the raw bytes Meta sends, signed with the app secret
    body = json.dumps(as_tenant(fixture("meta-cloud-api/pywa_message__text.json"), tenant)).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{server_port}/webhook/meta",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": hub_signature(META_APP_SECRET, body)},
        method="POST",
    )
    # When they arrive over HTTP, and Meta verifies the callback URL
    with urllib.request.urlopen(request, timeout=10) as response:
        delivered = response.status, json.load(response)["status"]
    query = f"hub.mode=subscribe&hub.verify_token={META_VERIFY_TOKEN}&hub.challenge=987654"
    with urllib.request.urlopen(f"http://127.0.0.1:{server_port}/webhook/meta?{query}", timeout=10) as response:
        verified = response.status, response.headers["Content-Type"], response.read()

    # Then the signature over the bytes as sent holds, and the challenge comes back as plain text
    assert delivered == (200, "accepted")
    assert counts(pg, tenant) == (1, 1, 1)
    assert verified[0] == 200 and verified[1].startswith("text/plain") and verified[2] == b"987654"


@pytest.fixture
def plain_server_port():
    """The local server in front of a trivial function: what is measured is the server itself."""
    with local_server(lambda event, context: {"statusCode": 200, "body": "ok"}) as port:
        yield port


def test_a_method_no_route_declares_gets_api_gateways_json_404_not_a_501_page(plain_server_port):
    connection = http.client.HTTPConnection("127.0.0.1", plain_server_port, timeout=10)
    connection.request("TRACE", "/webhook")
    response = connection.getresponse()

    assert response.status == 404
    assert response.getheader("content-type") == "application/json"
    assert json.loads(response.read()) == {"message": "Not Found"}


def test_a_burst_of_100_concurrent_connections_is_served_without_a_reset(plain_server_port):
    # Given 100 gateway connections opened at the same moment
    clients = 100
    start = threading.Barrier(clients)
    results: list[object] = []

    def one_request() -> None:
        start.wait(timeout=30)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", plain_server_port, timeout=10)
            connection.request("GET", "/health")
            results.append(connection.getresponse().status)
            connection.close()
        except OSError as exc:  # ConnectionResetError, refused, timeout
            results.append(exc)

    threads = [threading.Thread(target=one_request) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # Then every one of them got its answer
    assert results == [200] * clients
