"""GET / and GET /ui/<name> through the api function's handler: the page, its assets, and their headers."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from chatbatch.ui import site
from chatbatch_local.lambda_runtime import LambdaContext, decode_response, http_api_event

from tests.support import load_event


def get(api_function, path: str, query: str = "", headers: dict | None = None) -> tuple[int, dict, str]:
    response = api_function.lambda_handler(http_api_event("GET", path, query, headers or {}, b""), LambdaContext())
    status, response_headers, body = decode_response(response)
    return status, {k.lower(): v for k, v in response_headers.items()}, body.decode("utf-8")


class Tags(HTMLParser):
    """Every tag of the page with its attributes, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text.append(data)


def parsed_page(body: str) -> Tags:
    tags = Tags()
    tags.feed(body)
    return tags


def test_the_page_is_html_with_a_strict_content_security_policy(api_function):
    status, headers, _body = get(api_function, "/")

    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-cache"  # revalidated on every load, so a deploy shows at once


def test_the_page_has_no_inline_script_and_nothing_from_another_origin(api_function):
    _, _, body = get(api_function, "/")
    page = parsed_page(body)

    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts and all(attrs.get("src") for attrs in scripts)
    assert "".join(page.script_text).strip() == ""
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert not re.search(r"(src|href)=\"(https?:)?//", body)


def test_every_asset_the_page_names_is_served_with_its_type_and_cached_for_its_version(api_function):
    _, _, body = get(api_function, "/")
    page = parsed_page(body)
    urls = [attrs.get("src") or attrs.get("href") for tag, attrs in page.tags if tag in ("script", "link")]
    expected_types = {
        "app.js": "text/javascript; charset=utf-8",
        "app.css": "text/css; charset=utf-8",
        "favicon.svg": "image/svg+xml",
    }

    assert sorted(url.split("?")[0] for url in urls) == sorted(f"ui/{name}" for name in expected_types)
    for url in urls:
        path, query = url.split("?")
        status, headers, _ = get(api_function, "/" + path, query)
        assert status == 200, url
        assert headers["content-type"] == expected_types[path.removeprefix("ui/")]
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "default-src 'self'" in headers["content-security-policy"]
    assert {url.split("v=")[1] for url in urls} == {site().version}


def test_an_asset_asked_for_by_another_version_is_not_pinned_in_caches(api_function):
    status, headers, _ = get(api_function, "/ui/app.js", "v=0123456789ab")

    assert status == 200 and headers["cache-control"] == "no-cache"


def test_a_cached_copy_is_revalidated_with_its_etag(api_function):
    _, headers, _ = get(api_function, "/ui/app.css")

    status, again, body = get(api_function, "/ui/app.css", headers={"If-None-Match": headers["etag"]})

    assert status == 304 and body == "" and again["etag"] == headers["etag"]


@pytest.mark.parametrize("name", ["nope.js", "index.html", "..%2Fapi%2Fui.py"])
def test_an_unknown_asset_is_a_json_404(api_function, name):
    status, headers, body = get(api_function, f"/ui/{name}")

    assert status == 404
    assert headers["content-type"] == "application/json"
    assert "no page asset named" in body


def test_the_page_script_never_writes_data_as_html():
    script = site().asset("app.js").body

    assert "innerHTML" not in script and "outerHTML" not in script
    assert "insertAdjacentHTML" not in script and "document.write" not in script


def test_the_events_sample_gets_the_page(api_function):
    response = api_function.lambda_handler(load_event("ui_page.json"), LambdaContext())

    assert response["statusCode"] == 200
    assert "<title>chatbatch — console</title>" in response["body"]
