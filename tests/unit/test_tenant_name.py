"""One name for the tenant in the code: Python identifiers say ``tenant`` (an authenticated caller's is
``tenant.name``), never ``session_tok``, ``user_token`` or ``session_token``. The schema keeps its column names
and the wire keeps its keys: those live in strings (SQL text, JSON keys, row keys), which this scan does not
read. The only identifiers left are the API's own fields, listed below with the reason."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("layers", "functions", "local")
OLD_NAMES = frozenset({"session_tok", "user_token", "session_token"})

# (file, the stripped line starts with) -> why the identifier stays
ALLOWED = {
    ("layers/common/chatbatch/api/console.py", "session_tok: str"): "GET /me answers {'session_tok': ...}: the "
    "pydantic model's field is the JSON field the OpenAPI document and the console page read",
    ("layers/common/chatbatch/api/console.py", "return Me(session_tok="): "builds that same API field",
    ("layers/common/chatbatch/domain/messages.py", "session_token: str = Field("): "the flat webhook's body field "
    "(snake_case or sessionToken), which the OpenAPI document declares",
    ("layers/common/chatbatch/domain/messages.py", "tenant=payload.session_token,"): "reads that same field",
}


def old_names_in(source: str) -> list[tuple[int, str]]:
    """(line, stripped line) of every NAME token that is an old tenant name; strings and comments are not names."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string in OLD_NAMES:
            found.append((token.start[0], token.line.strip()))
    return found


def _allowed_by(path: str, line: str) -> tuple[str, str] | None:
    return next((key for key in ALLOWED if key[0] == path and line.startswith(key[1])), None)


def _scan() -> tuple[list[str], set[tuple[str, str]]]:
    wrong, used = [], set()
    files = [p for top in SCANNED for p in sorted((ROOT / top).rglob("*.py")) if ".venv" not in p.parts]
    assert len(files) > 50  # the walk found the code
    for path in files:
        relative = str(path.relative_to(ROOT))
        for number, line in old_names_in(path.read_text()):
            key = _allowed_by(relative, line)
            if key is None:
                wrong.append(f"{relative}:{number}: {line}")
            else:
                used.add(key)
    return wrong, used


def test_the_scan_sees_names_and_not_strings():
    source = 'def f(session_tok):\n    row["user_token"]  # user_token\n    return x.user_token, f"{session_tok}"\n'
    assert [number for number, _ in old_names_in(source)] == [1, 3, 3]


def test_the_code_names_the_tenant_one_way():
    wrong, _ = _scan()
    assert wrong == [], "name it tenant (an api_tokens.Tenant's is .name):\n" + "\n".join(wrong)


def test_every_allowed_exception_is_still_needed():
    _, used = _scan()
    assert set(ALLOWED) - used == set()
