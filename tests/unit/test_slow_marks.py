"""The list of slow tests (tests/conftest.py, left out by `make test-fast`) names tests that exist."""

from __future__ import annotations

from tests.conftest import REPO_ROOT, SLOW


def test_every_slow_entry_names_a_test_module_or_a_test_in_it():
    missing = []
    for entry in SLOW:
        module, _, name = entry.partition("::")
        path = REPO_ROOT / module
        if not path.is_file() or (name and f"def {name}(" not in path.read_text(encoding="utf-8")):
            missing.append(entry)
    assert not missing, missing
