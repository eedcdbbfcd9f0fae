"""Every published payload of the four gateways is in tests/fixtures, unchanged, and some test uses it."""

from __future__ import annotations

import pytest

from tests.conftest import REPO_ROOT
from tests.support.gateways import FIXTURES, GATEWAY_DIRS, SHARED_FIXTURES

if not SHARED_FIXTURES.is_dir():  # a clone without the project's shared folder next to it
    pytest.skip(f"no shared fixtures at {SHARED_FIXTURES}", allow_module_level=True)
SHARED = sorted(f"{d}/{p.name}" for d in GATEWAY_DIRS for p in (SHARED_FIXTURES / d).glob("*") if p.is_file())


def test_fixtures_are_copied_unchanged():
    assert SHARED, f"no gateway fixtures under {SHARED_FIXTURES}"
    copied = sorted(f"{d}/{p.name}" for d in GATEWAY_DIRS for p in (FIXTURES / d).glob("*") if p.is_file())
    assert copied == SHARED
    for name in SHARED:
        assert (FIXTURES / name).read_bytes() == (SHARED_FIXTURES / name).read_bytes(), name


def _test_sources() -> str:
    this = __file__
    return "\n".join(p.read_text() for p in sorted((REPO_ROOT / "tests").rglob("*.py")) if str(p) != this)


@pytest.mark.parametrize("name", SHARED)
def test_every_fixture_is_used_by_a_test(name):
    assert name.split("/")[-1] in _test_sources(), f"no test uses {name}"
