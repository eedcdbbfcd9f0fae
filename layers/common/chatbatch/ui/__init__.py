"""The chat-history page: plain HTML/CSS/JS shipped in this package (``static/``), served by the api function.

No build step and nothing from a CDN: the files are read from the installed package once per process.
``index.html`` refers to its assets as ``ui/<name>?v=<version>``, where the version is a hash of every
asset: a deploy that changes a file changes the URL, so browsers may cache an asset forever while the page
itself is revalidated on every load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

INDEX = "index.html"
VERSION_PLACEHOLDER = "{{ASSET_VERSION}}"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class StaticFile:
    name: str
    body: str
    content_type: str

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body.encode("utf-8")).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class Site:
    index: StaticFile
    assets: dict[str, StaticFile]
    version: str

    def asset(self, name: str) -> StaticFile | None:
        return self.assets.get(name)


def _content_type(name: str) -> str | None:
    suffix = name[name.rfind(".") :] if "." in name else ""
    return CONTENT_TYPES.get(suffix)


@lru_cache(maxsize=1)
def site() -> Site:
    """The page and its assets, read from the package (cached: the files never change in a running process)."""
    folder = resources.files(__name__) / "static"
    files = {
        entry.name: StaticFile(entry.name, entry.read_text(encoding="utf-8"), content_type)
        for entry in folder.iterdir()
        if entry.is_file() and (content_type := _content_type(entry.name)) is not None
    }
    index = files.pop(INDEX)
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].body.encode("utf-8") + b"\0")
    version = digest.hexdigest()[:12]
    page = StaticFile(INDEX, index.body.replace(VERSION_PLACEHOLDER, version), index.content_type)
    return Site(index=page, assets=files, version=version)
