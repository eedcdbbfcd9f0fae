"""The patterns the OpenAPI document declares for text fields say exactly what the validators accept: read as JSON
Schema reads them (ECMA-262, by jsonschema-rs, the validator schemathesis uses) and by Rust's ``regex`` (pydantic-
core, where the API enforces a pattern itself)."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import jsonschema_rs
import pytest
from chatbatch.domain.business_hours import CLOCK_PATTERN, clock_minutes
from chatbatch.domain.messages import _identifier, _storable
from chatbatch.domain.tenant_settings import _text
from chatbatch.domain.text_forms import IDENTIFIER, NON_BLANK_TEXT, STORABLE_TEXT, WHITESPACE
from hypothesis import given
from hypothesis import strategies as st
from pydantic import StringConstraints, TypeAdapter, ValidationError

SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
texts = st.text(
    alphabet=st.one_of(st.sampled_from([*SPACES, "\x00", "\ufeff", "a", "é"]), st.characters()), max_size=12
)


def accepts(validator, value: str) -> bool:
    try:
        validator(value)
    except ValueError:
        return False
    return True


def json_schema(pattern: str):
    return jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid


def rust(pattern: str):
    adapter = TypeAdapter(Annotated[str, StringConstraints(pattern=pattern)])

    def matches(value: str) -> bool:
        try:
            adapter.validate_python(value)
        except ValidationError:
            return False
        return True

    return matches


def test_the_whitespace_class_is_what_str_strip_removes():
    klass = re.compile(f"[{WHITESPACE}]")
    assert [c for c in map(chr, range(sys.maxunicode + 1)) if klass.fullmatch(c)] == SPACES


@pytest.mark.parametrize(
    "pattern, validator",
    [(NON_BLANK_TEXT, _text), (IDENTIFIER, _identifier), (STORABLE_TEXT, lambda value: _storable(value, "text"))],
    ids=["non-blank text", "identifier", "storable text"],
)
@given(value=texts)
def test_a_text_pattern_matches_exactly_what_its_validator_accepts(pattern, validator, value):
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates: JSON carries them only as escapes, which the validators refuse
    expected = accepts(validator, value)
    assert json_schema(pattern)(value) is expected
    assert rust(pattern)(value) is expected


@given(st.from_regex(r"[0-9:]{0,6}", fullmatch=True) | st.text(max_size=6))
def test_the_clock_pattern_matches_exactly_the_times_of_day(value):
    assert json_schema(CLOCK_PATTERN)(value) is accepts(clock_minutes, value)
    assert rust(CLOCK_PATTERN)(value) is accepts(clock_minutes, value)
