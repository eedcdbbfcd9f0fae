"""POST JSON to an HTTP peer with a bearer token, using the stdlib only (no SDK on the Lambda's cold-start path).

The one place that turns transport failures into ``HttpFailure``; the LLM and gateway adapters translate it into
their own typed errors (whether to retry is theirs to decide).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class HttpFailure(Exception):
    """No 2xx answer: ``status`` is the HTTP status, or None when the peer did not answer at all."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


def post_json(url: str, payload: Any, *, bearer: str | None, timeout: float) -> bytes:
    """POST ``payload`` as JSON; the answer's raw body on a 2xx, else ``HttpFailure``."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise HttpFailure(
            f"{url} answered HTTP {exc.code}", status=exc.code, retry_after=exc.headers.get("Retry-After")
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise HttpFailure(f"no answer from {url}: {getattr(exc, 'reason', exc)}") from None
