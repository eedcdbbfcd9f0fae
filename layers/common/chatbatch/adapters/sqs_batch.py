"""SQS SendMessageBatch as one signed HTTP POST: the sweeper's hot call, without boto3's per-call machinery.

A 10,000-chat tick makes 1,000 SendMessageBatch calls. Through a boto3 client each cost ~1.0 ms of the sweeper's
CPU (its event hooks, the request and response walked against the service model, headers and body sent apart);
this call costs ~0.6 ms, most of it the kernel's work on the socket (docs/scale.md, "The sweep at scale"). What it
keeps from botocore: the wire format (SQS's JSON protocol, AWS JSON 1.0, as botocore speaks it), the signer
(``SigV4Auth``), the credential chain (the function's role in Lambda, refreshed as botocore refreshes it), the
endpoint (botocore resolves it for the region) and its CA bundle. Every other SQS call stays on boto3
(``SqsJobQueue.retry_later``). Unlike botocore it does not go through an ``HTTPS_PROXY``: the stack reaches SQS at its
regional name, through the VPC's SQS endpoint (template.yaml, ``SqsEndpoint``, private DNS) or a NAT.

A call either returns which entries SQS accepted and refused, or raises :class:`SqsCallFailed` naming why no entry
was accepted (unreachable, a timeout, or SQS's error code and message). One retry, at once, for a call that got no
answer or a 5xx (botocore's standard mode makes two attempts too): SQS FIFO drops a repeated entry by its
deduplication id, so a retry never queues a job twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError
from botocore.httpsession import get_cert_path

_TARGET = "AmazonSQS.SendMessageBatch"
_CONTENT_TYPE = "application/x-amz-json-1.0"
_RETRIED_STATUSES = (500, 502, 503, 504)


class SqsCallFailed(Exception):
    """No entry of the call was accepted; the message says why."""


@dataclass
class BatchResult:
    """Entry ids SQS accepted, and the refused ones with SQS's code and message."""

    successful: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class SendMessageBatch:
    """``send(entries)``: one SendMessageBatch call to ``queue_url`` (entries as SQS's API names them: Id,
    MessageBody, MessageGroupId, MessageDeduplicationId). Thread-safe: up to ``connections`` calls in flight, each
    on a kept-alive connection of its own."""

    def __init__(
        self,
        queue_url: str,
        *,
        endpoint_url: str,
        region: str,
        credentials: Any,
        timeout_seconds: float,
        connections: int,
        ca_bundle: str | None = None,
    ) -> None:
        self.queue_url = queue_url
        self._url = endpoint_url.rstrip("/") + "/"
        self._region = region
        self._credentials = credentials  # botocore Credentials (refreshable in Lambda), or None: none configured
        self._pool = urllib3.connection_from_url(  # one host: its pool alone, no PoolManager lookups per call
            self._url,
            maxsize=connections,
            timeout=urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds),
            retries=urllib3.Retry(
                total=1,
                connect=1,
                read=1,
                status=1,
                other=0,
                redirect=0,
                allowed_methods=None,  # POST too: a repeated entry is dropped by its deduplication id
                status_forcelist=_RETRIED_STATUSES,
                backoff_factor=0,
                raise_on_status=False,
                raise_on_redirect=False,
                # at once: a Retry-After would hold the lane (and the outbox's locked jobs) for as long as it says
                respect_retry_after_header=False,
            ),
            # TLS (SQS itself; a local SQS is plain HTTP): verified against ``ca_bundle`` (AWS_CA_BUNDLE, as boto3
            # reads it) or botocore's own bundle
            **(
                {"ca_certs": ca_bundle or get_cert_path(True), "cert_reqs": "CERT_REQUIRED"}
                if self._url.startswith("https:")
                else {}
            ),
        )

    def send(self, entries: list[dict[str, str]]) -> BatchResult:
        body = json.dumps({"QueueUrl": self.queue_url, "Entries": entries}, separators=(",", ":")).encode()
        try:
            response = self._pool.urlopen("POST", "/", body=body, headers=self._signed_headers(body))
        except urllib3.exceptions.HTTPError as exc:
            cause = getattr(exc, "reason", None) or exc  # MaxRetryError: the last attempt's error
            raise SqsCallFailed(f"SQS unreachable at {self._url}: {type(cause).__name__}: {cause}") from exc
        answer = _json_of(response.data)
        if response.status != 200:
            raise SqsCallFailed(_error_of(response.status, answer))
        return _result_of(answer, [entry["Id"] for entry in entries])

    def close(self) -> None:
        self._pool.close()

    def _signed_headers(self, body: bytes) -> dict[str, str]:
        if self._credentials is None:
            raise SqsCallFailed("no AWS credentials to sign SendMessageBatch with (botocore's chain found none)")
        request = AWSRequest(
            "POST", self._url, data=body, headers={"Content-Type": _CONTENT_TYPE, "X-Amz-Target": _TARGET}
        )
        try:
            credentials = self._credentials.get_frozen_credentials()  # a refresh may fail (the role's source down)
        except BotoCoreError as exc:
            raise SqsCallFailed(
                f"no AWS credentials to sign SendMessageBatch with: {type(exc).__name__}: {exc}"
            ) from exc
        SigV4Auth(credentials, "sqs", self._region).add_auth(request)
        return dict(request.headers.items())


def _result_of(answer: dict, ids: list[str]) -> BatchResult:
    """Each entry accepted or refused, as SQS's 200 says; an entry it does not account for is reported refused (its
    job stays due for the next tick), and an answer that accounts for none fails the call."""
    try:
        successful = [str(entry["Id"]) for entry in answer.get("Successful") or ()]
        failed = {
            str(entry["Id"]): f"{entry.get('Code')}: {entry.get('Message', '')}" for entry in answer.get("Failed") or ()
        }
    except (TypeError, KeyError, AttributeError) as exc:
        raise SqsCallFailed(f"SQS answered 200 with entries it does not name: {type(exc).__name__}: {exc}") from exc
    accounted = set(successful) | set(failed)
    if not accounted & set(ids):
        raise SqsCallFailed("SQS answered 200 without accounting for any entry (no Successful or Failed list)")
    failed.update({id_: "not in SQS's answer" for id_ in ids if id_ not in accounted})
    return BatchResult([id_ for id_ in successful if id_ in ids], failed)


def _json_of(data: bytes) -> dict:
    try:
        answer = json.loads(data) if data else {}
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _error_of(status: int, answer: dict) -> str:
    """SQS's error as botocore names it: the code after the ``#`` of ``__type``, and its message."""
    code = str(answer.get("__type") or answer.get("code") or f"HTTP {status}").rsplit("#", 1)[-1]
    message = answer.get("message") or answer.get("Message") or ""
    return f"{code} (HTTP {status}): {message}" if message else f"{code} (HTTP {status})"
