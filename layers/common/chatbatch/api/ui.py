"""Routes of the chat-history page: ``GET /`` (the page) and ``GET /ui/<name>`` (its scripts and styles).

Every answer carries a strict Content-Security-Policy: scripts, styles and requests come from this origin
only, nothing inline runs, and the page cannot be framed. Messages are rendered as text by the script;
the policy is the second wall should that ever regress.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chatbatch.errors import NotFound
from chatbatch.ui import StaticFile, site

router = APIGatewayHttpRouter()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The page is small and names its assets by version: revalidate it on every load, keep versioned assets forever.
REVALIDATE = "no-cache"
FOREVER = "public, max-age=31536000, immutable"


def _serve(file: StaticFile, cache_control: str) -> Response[str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": cache_control,
        "ETag": file.etag,
    }
    if router.current_event.headers.get("if-none-match") == file.etag:
        return Response(status_code=304, headers=headers, body="")
    return Response(status_code=200, content_type=file.content_type, headers=headers, body=file.body)


@router.get("/", summary="The chat-history page (sign in with an API token)", include_in_schema=False)
def page() -> Response[str]:
    return _serve(site().index, REVALIDATE)


@router.get("/ui/<name>", summary="A script, style or icon of the chat-history page", include_in_schema=False)
def asset(name: str) -> Response[str]:
    current = site()
    file = current.asset(name)
    if file is None:
        raise NotFound(f"no page asset named {name!r}")
    # An asset asked for by an old version (a page cached before a deploy) must not be pinned forever.
    versioned = router.current_event.query_string_parameters.get("v") == current.version
    return _serve(file, FOREVER if versioned else REVALIDATE)
