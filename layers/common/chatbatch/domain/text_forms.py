"""The forms a text field of the API may take, as the patterns the OpenAPI document declares. Pure.

The validators (``str.strip()``, a NUL check) decide; these patterns say the same thing in the regular-expression
dialect every reader of the document shares (JSON Schema's ECMA-262, Python's ``re``, Rust's ``regex``): whitespace
is spelled out as the characters Python's ``str.isspace`` names (``\\s`` means something else in each dialect),
digits as ``[0-9]``. tests/unit/test_text_forms.py holds each pattern to its validator.
"""

from __future__ import annotations

# Every character str.isspace() is true for (what str.strip() removes).
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# Any text Postgres can store (no NUL).
STORABLE_TEXT = r"^[^\x00]*$"
# Storable text with something besides whitespace in it (a prompt, a message a person reads).
NON_BLANK_TEXT = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"
# An id or name: storable, not blank, no whitespace around it.
IDENTIFIER = rf"^[^\x00{WHITESPACE}](?:[^\x00]*[^\x00{WHITESPACE}])?$"
