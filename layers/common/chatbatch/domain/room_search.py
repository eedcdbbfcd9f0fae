"""Searching a tenant's rooms by the contact's name or number: what a search text matches. Pure.

The name matches anywhere, ignoring case (``budi`` finds "Budi Santoso"); a text that looks like a phone number
(digits with spaces, ``+``, ``-``, parentheses) also matches the number in the contact's JID, so
``+62 812-3456`` finds ``628123456789@s.whatsapp.net``. Wildcards typed by the user are taken literally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SEARCH_CHARS = 100
_PHONE_LIKE = re.compile(r"^[\d\s+\-().]+$")


def _literal(text: str) -> str:
    """``text`` for LIKE/ILIKE with ``\\``, ``%`` and ``_`` matching themselves (backslash is LIKE's escape)."""
    return re.sub(r"([\\%_])", r"\\\1", text)


@dataclass(frozen=True)
class RoomSearch:
    name_pattern: str  # ILIKE pattern for contact_name
    number_pattern: str | None  # LIKE pattern for contact_jid; None: the text is not a number

    @classmethod
    def of(cls, text: str) -> RoomSearch | None:
        """The search for ``text`` (None for a blank text: no search)."""
        text = text.strip()
        if not text:
            return None
        digits = re.sub(r"\D", "", text)
        number = f"%{digits}%" if digits and _PHONE_LIKE.match(text) else None
        return cls(f"%{_literal(text)}%", number)
