"""POST JSON to an HTTP peer, using the stdlib only (no SDK on the Lambda's cold-start path).

The one place that turns transport failures into ``HttpFailure``; the LLM and gateway adapters translate it into
their own typed errors (whether to retry is theirs to decide). A failure also says whether the peer may have
acted on the request: a gateway that timed out after accepting a message may have sent it.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any


class HttpFailure(Exception):
    """No 2xx answer: ``status`` is the HTTP status, or None when the peer did not answer at all.

    ``outcome_unknown``: the request may have reached the peer and been acted on (a timeout waiting for the answer,
    a connection dropped after the request was written). False when the peer answered (with an error status) or
    was never reached (refused, unknown host, a timeout while connecting).
    """

    def __init__(
        self, reason: str, *, status: int | None = None, retry_after: str | None = None, outcome_unknown: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


def post_json(
    url: str, payload: Any, *, bearer: str | None = None, headers: dict[str, str] | None = None, timeout: float
) -> bytes:
    """POST ``payload`` as JSON (with ``headers``, a bearer token); the answer's raw body on a 2xx."""
    sent_headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
    if bearer:
        sent_headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), headers=sent_headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise HttpFailure(
            f"{url} answered HTTP {exc.code}", status=exc.code, retry_after=exc.headers.get("Retry-After")
        ) from None
    except urllib.error.URLError as exc:  # urllib's wrap of a failure while connecting or writing the request
        raise HttpFailure(f"no answer from {url}: {exc.reason}") from None
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        # The whole request was written, the answer did not come: the peer may have acted on it.
        raise HttpFailure(f"no answer from {url}: {type(exc).__name__} {exc}".strip(), outcome_unknown=True) from None
