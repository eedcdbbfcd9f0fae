"""SendMessageBatch as one signed POST (adapters/sqs_batch.py) against a local SQS peer that checks what SQS checks:
the AWS JSON 1.0 request, and its SigV4 signature recomputed here, independently of botocore's signer."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import CredentialRetrievalError
from chatbatch.adapters.queue import SqsJobQueue
from chatbatch.adapters.sqs_batch import SendMessageBatch, SqsCallFailed
from chatbatch.domain.job_message import JobMessage
from chatbatch_local.postgres import free_port

KEY_ID, SECRET, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-of-the-role"
REGION = "ap-southeast-3"


def sigv4_matches(method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
    """AWS Signature Version 4, as AWS documents it, for a request with no query string."""
    authorization = headers["authorization"]
    algorithm, _, rest = authorization.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    key_id, date, region, service, terminal = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    canonical = "\n".join(
        [
            method,
            path,
            "",
            *(f"{name}:{' '.join(headers[name].split())}" for name in signed),
            "",
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{region}/{service}/{terminal}"
    to_sign = "\n".join([algorithm, headers["x-amz-date"], scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{SECRET}".encode()
    for part in (date, region, service, terminal):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        algorithm == "AWS4-HMAC-SHA256"
        and (key_id, region, service) == (KEY_ID, REGION, "sqs")
        and {"host", "x-amz-date", "x-amz-target", "x-amz-security-token"} <= set(signed)
        and hmac.compare_digest(fields["Signature"], expected)
    )


class SqsPeer:
    """Answers each SendMessageBatch with ``answer(request) -> (status, body[, headers])`` (a body of bytes as it
    is, else as JSON); records every request."""

    def __init__(self, answer: Callable[[dict], tuple[int, dict]]) -> None:
        self.answer = answer
        self.requests: list[dict] = []
        self.bad_signatures = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def sqs_peer(answer: Callable[[dict], tuple[int, dict]]) -> Iterator[SqsPeer]:
    peer = SqsPeer(answer)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            if not sigv4_matches("POST", self.path, headers, body) or headers["x-amz-security-token"] != TOKEN:
                peer.bad_signatures += 1
                status, answer = 403, {"__type": "com.amazonaws.sqs#SignatureDoesNotMatch", "message": "bad"}
            else:
                request = {"target": headers["x-amz-target"], "type": headers["content-type"], **json.loads(body)}
                peer.requests.append(request)
                status, answer, *extra = peer.answer(request)
            data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            for name, value in (extra[0] if extra else {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    peer.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    peer.server.daemon_threads = True
    threading.Thread(target=peer.server.serve_forever, daemon=True).start()
    try:
        yield peer
    finally:
        peer.server.shutdown()
        peer.server.server_close()


def all_accepted(request: dict) -> tuple[int, dict]:
    return 200, {"Successful": [{"Id": e["Id"], "MessageId": f"m-{e['Id']}"} for e in request["Entries"]]}


def sender(url: str, **options) -> SendMessageBatch:
    return SendMessageBatch(
        f"{url}/123456789012/jobs.fifo",
        endpoint_url=url,
        region=REGION,
        credentials=options.pop("credentials", Credentials(KEY_ID, SECRET, TOKEN)),
        timeout_seconds=options.pop("timeout_seconds", 2),
        connections=4,
        **options,
    )


def entries(*ids: int) -> list[dict[str, str]]:
    return [
        {"Id": str(n), "MessageBody": f'{{"job_id":{n}}}', "MessageGroupId": "g", "MessageDeduplicationId": f"j{n}"}
        for n in ids
    ]


def test_a_call_is_one_signed_json_request_with_the_queue_and_its_entries():
    with sqs_peer(all_accepted) as peer:
        result = sender(peer.url).send(entries(1, 2, 3))

    assert peer.bad_signatures == 0
    assert peer.requests == [
        {
            "target": "AmazonSQS.SendMessageBatch",
            "type": "application/x-amz-json-1.0",
            "QueueUrl": f"{peer.url}/123456789012/jobs.fifo",
            "Entries": entries(1, 2, 3),
        }
    ]
    assert result.successful == ["1", "2", "3"] and result.failed == {}


def test_entries_sqs_refuses_are_reported_with_its_code_and_message():
    def half(request: dict) -> tuple[int, dict]:
        first, second = request["Entries"]
        return 200, {
            "Successful": [{"Id": first["Id"], "MessageId": "m"}],
            "Failed": [{"Id": second["Id"], "SenderFault": False, "Code": "InternalError", "Message": "try again"}],
        }

    with sqs_peer(half) as peer:
        result = sender(peer.url).send(entries(7, 8))

    assert result.successful == ["7"] and result.failed == {"8": "InternalError: try again"}


def test_an_error_answer_fails_the_call_naming_sqs_code_and_message_without_a_retry():
    def missing(request: dict) -> tuple[int, dict]:
        return 400, {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."}

    with sqs_peer(missing) as peer, pytest.raises(SqsCallFailed) as failed:
        sender(peer.url).send(entries(1))

    assert str(failed.value) == "QueueDoesNotExist (HTTP 400): The specified queue does not exist."
    assert len(peer.requests) == 1  # a client error is not retried


def test_a_server_error_is_retried_once_at_once():
    answers = iter([(503, {"__type": "ServiceUnavailable", "message": "busy"})])

    with sqs_peer(lambda request: next(answers, None) or all_accepted(request)) as peer:
        result = sender(peer.url).send(entries(1, 2))

    assert result.successful == ["1", "2"]
    assert len(peer.requests) == 2 and peer.requests[0]["Entries"] == peer.requests[1]["Entries"]  # same dedup ids


def test_a_server_error_twice_fails_the_call():
    down = pytest.raises(SqsCallFailed, match=r"^InternalError \(HTTP 500\): down$")
    with sqs_peer(lambda request: (500, {"__type": "InternalError", "message": "down"})) as peer, down:
        sender(peer.url).send(entries(1))
    assert len(peer.requests) == 2


def test_an_unreachable_endpoint_fails_the_call_naming_it():
    closed = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(SqsCallFailed, match=rf"^SQS unreachable at {closed}/: NewConnectionError"):
        sender(closed, timeout_seconds=1).send(entries(1))


def test_no_credentials_fails_the_call_before_sending():
    with sqs_peer(all_accepted) as peer:
        unsigned = SendMessageBatch(
            f"{peer.url}/1/q.fifo",
            endpoint_url=peer.url,
            region=REGION,
            credentials=None,
            timeout_seconds=1,
            connections=1,
        )
        with pytest.raises(SqsCallFailed, match="no AWS credentials"):
            unsigned.send(entries(1))
    assert peer.requests == [] and peer.bad_signatures == 0


def test_the_queue_adapter_signs_with_the_environment_credentials_and_reports_refusals_per_job(monkeypatch):
    # Given the function's role in the environment, as Lambda sets it
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)

    def refuse_job_3(request: dict) -> tuple[int, dict]:
        ok = [{"Id": e["Id"], "MessageId": "m"} for e in request["Entries"] if e["Id"] != "3"]
        bad = [{"Id": "3", "SenderFault": True, "Code": "InvalidParameterValue", "Message": "no"}]
        return 200, {"Successful": ok, "Failed": bad if len(ok) < len(request["Entries"]) else []}

    with sqs_peer(refuse_job_3) as peer:
        adapter = SqsJobQueue(f"{peer.url}/1/q.fifo", region=REGION, endpoint_url=peer.url, lanes=2)
        outcome = adapter.send([JobMessage(n, "tenant", f"chat-{n}") for n in range(1, 13)])

    assert peer.bad_signatures == 0
    assert sorted(outcome.sent) == [n for n in range(1, 13) if n != 3]
    assert outcome.failed == {3: "InvalidParameterValue: no"}


@pytest.mark.parametrize("ca_bundle", [None, "/etc/pki/our-ca.pem"])
def test_sqs_itself_is_called_over_tls_verified_against_the_ca_bundle_boto3_would_use(ca_bundle):
    from botocore.httpsession import get_cert_path

    real = SendMessageBatch(
        "https://sqs.ap-southeast-3.amazonaws.com/123456789012/jobs.fifo",
        endpoint_url="https://sqs.ap-southeast-3.amazonaws.com",
        region=REGION,
        credentials=Credentials(KEY_ID, SECRET),
        timeout_seconds=5,
        connections=16,
        ca_bundle=ca_bundle,
    )

    pool = real._pool
    assert (pool.scheme, pool.host, pool.port) == ("https", "sqs.ap-southeast-3.amazonaws.com", 443)
    assert (pool.cert_reqs, pool.ca_certs) == ("CERT_REQUIRED", ca_bundle or get_cert_path(True))


def test_the_adapter_gives_its_sender_the_ca_bundle_from_aws_ca_bundle(monkeypatch):
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/pki/our-ca.pem")
    adapter = SqsJobQueue("https://sqs.ap-southeast-3.amazonaws.com/1/q.fifo", region=REGION)

    assert adapter._batch_sender()._pool.ca_certs == "/etc/pki/our-ca.pem"


def test_a_retry_after_header_does_not_hold_the_lane_the_one_retry_goes_at_once():
    answers = iter([(503, {"__type": "ServiceUnavailable", "message": "busy"}, {"Retry-After": "60"})])
    asked_at: list[float] = []

    def busy_once(request: dict) -> tuple:
        asked_at.append(time.monotonic())
        return next(answers, None) or all_accepted(request)

    with sqs_peer(busy_once) as peer:
        result = sender(peer.url).send(entries(1))  # urllib3 would sleep the 60 s by default, the lane's jobs locked

    assert result.successful == ["1"] and len(peer.requests) == 2
    assert asked_at[1] - asked_at[0] < 30  # at once (milliseconds here), not after the header's 60 s


def test_a_throttled_call_is_left_to_the_next_tick_not_retried_after_its_retry_after():
    throttled = (429, {"__type": "ThrottlingException", "message": "slow down"}, {"Retry-After": "3600"})

    with sqs_peer(lambda request: throttled) as peer, pytest.raises(SqsCallFailed, match=r"^ThrottlingException"):
        sender(peer.url).send(entries(1))

    assert len(peer.requests) == 1


def test_an_answer_lost_to_the_read_timeout_is_asked_once_more_with_the_same_entries():
    first = threading.Event()

    def slow_first(request: dict) -> tuple[int, dict]:
        if not first.is_set():
            first.set()
            time.sleep(3)  # past the client's 1 s read timeout: its answer is never read
        return all_accepted(request)

    with sqs_peer(slow_first) as peer:
        result = sender(peer.url, timeout_seconds=1).send(entries(4, 5))

    assert result.successful == ["4", "5"]
    assert len(peer.requests) == 2 and peer.requests[0]["Entries"] == peer.requests[1]["Entries"]


def test_a_200_that_names_no_entry_fails_the_call_and_an_entry_it_leaves_out_is_refused():
    with (
        sqs_peer(lambda request: (200, b"<html>a proxy's page</html>")) as peer,
        pytest.raises(SqsCallFailed, match="without accounting for any entry"),
    ):
        sender(peer.url).send(entries(1, 2))

    def only_first(request: dict) -> tuple[int, dict]:
        return 200, {"Successful": [{"Id": request["Entries"][0]["Id"], "MessageId": "m"}]}

    with sqs_peer(only_first) as peer:
        result = sender(peer.url).send(entries(1, 2))
    assert result.successful == ["1"] and result.failed == {"2": "not in SQS's answer"}


def test_credentials_that_cannot_be_refreshed_fail_the_call_and_the_adapter_reports_each_job():
    class Expired:
        def get_frozen_credentials(self):
            raise CredentialRetrievalError(provider="container-role", error_msg="metadata endpoint unreachable")

    with sqs_peer(all_accepted) as peer:
        with pytest.raises(SqsCallFailed, match="CredentialRetrievalError"):
            sender(peer.url, credentials=Expired()).send(entries(1))

        adapter = SqsJobQueue(f"{peer.url}/1/q.fifo", region=REGION, endpoint_url=peer.url, lanes=2)
        adapter._batch_sender()._credentials = Expired()  # the role's credentials expire in a warm container
        outcome = adapter.send([JobMessage(n, "tenant", f"chat-{n}") for n in range(1, 5)])

    assert outcome.sent == [] and sorted(outcome.failed) == [1, 2, 3, 4]
    assert all("CredentialRetrievalError" in reason for reason in outcome.failed.values())
    assert peer.requests == []
