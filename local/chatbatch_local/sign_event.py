"""Re-sign events/ samples after editing their body: ``python -m chatbatch_local.sign_event events/<file>.json …``.

A sample for a gateway that signs its webhooks carries the signature of its own body, made with the secrets
``make dev`` uses (chatbatch_local.stack.DEV_GATEWAY_SECRETS); an edited body needs a new one. Dev tool only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from pathlib import Path

from chatbatch_local.stack import DEV_GATEWAY_SECRETS

# The header each signing gateway sends, and the secret it is keyed with, by the sample's route.
SIGNED_ROUTES = {
    "/webhook/meta": ("x-hub-signature-256", "META_APP_SECRET"),
    "/webhook/gowa": ("x-hub-signature-256", "GOWA_WEBHOOK_SECRET"),
}


def expected_signature(event: dict) -> tuple[str, str] | None:
    """(header, value) the sample must carry, or None when its route is not signed (or the sample is a GET)."""
    path = event["rawPath"]
    route = next((r for r in SIGNED_ROUTES if path == r or path.startswith(r + "/")), None)
    if route is None or event["requestContext"]["http"]["method"] != "POST":
        return None
    header, secret = SIGNED_ROUTES[route]
    digest = hmac.new(DEV_GATEWAY_SECRETS[secret].encode(), (event.get("body") or "").encode(), hashlib.sha256)
    return header, f"sha256={digest.hexdigest()}"


def main(paths: list[str]) -> int:
    for name in paths:
        path = Path(name)
        event = json.loads(path.read_text())
        signature = expected_signature(event)
        if signature is None:
            print(f"{name}: not a signed route, unchanged")
            continue
        event["headers"][signature[0]] = signature[1]
        path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n")
        print(f"{name}: {signature[0]} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
