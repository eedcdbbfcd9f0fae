"""A long reply becomes several WhatsApp messages (parts), each within the gateway's text limit. Pure.

Cuts fall on the most natural boundary inside the limit: between paragraphs, else between lines, else after a
sentence, else between words, else (a single "word" longer than the limit, e.g. a URL) anywhere. Each part is a
verbatim slice of the reply with the whitespace at its cuts dropped, so the parts read in order are the reply.

Lengths are counted in UTF-16 code units, as the Graph API and WhatsApp clients count "characters": an emoji
counts two, so a part within the limit here is within it there too. A cut never splits a code point.
"""

from __future__ import annotations

import re

# Boundaries, most natural first. A match's start is the end of the part before it, its end the start of the
# next part: the whitespace between them belongs to neither.
_BOUNDARIES = (
    re.compile(r"\n[ \t\r\f\v]*\n\s*"),  # a blank line: between paragraphs
    re.compile(r"\n\s*"),  # a line break: between list items, lines of an address, ...
    # After a sentence's closing punctuation (or a closing quote or bracket after it): whitespace, none after CJK.
    re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"'”’»)\]])\s+|(?<=[。！？])\s*"),
    re.compile(r"\s+"),  # between words
)


def text_length(text: str) -> int:
    """The length WhatsApp and the Graph API limit: UTF-16 code units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def split_reply(text: str, limit: int) -> list[str]:
    """The reply as parts of at most ``limit`` UTF-16 code units, in order; [] for an empty reply."""
    if limit < 2:
        raise ValueError("a part must hold at least one character of any kind (limit >= 2)")
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if text_length(rest) <= limit:
            parts.append(rest)
            break
        part, rest = _cut(rest, _fitting_prefix(rest, limit))
        parts.append(part)
    return parts


def _fitting_prefix(text: str, limit: int) -> int:
    """How many code points of ``text`` fit in ``limit`` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _cut(text: str, fits: int) -> tuple[str, str]:
    """(first part, the rest) at the last most-natural boundary within the first ``fits`` code points."""
    for boundary in _BOUNDARIES:
        last = None
        for match in boundary.finditer(text, 0, len(text)):
            if match.start() > fits:
                break
            if match.start() > 0:
                last = match
        if last is not None:
            return text[: last.start()].rstrip(), text[last.end() :].lstrip()
    return text[:fits], text[fits:].lstrip()
