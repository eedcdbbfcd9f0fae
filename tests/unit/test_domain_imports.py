"""The domain is pure: its modules import the standard library, pydantic, the domain itself and the typed errors,
never settings, the store, adapters or anything that does I/O (a constant both the domain and an edge need lives
in the domain and the edge imports it)."""

from __future__ import annotations

import ast
from pathlib import Path

import chatbatch.domain

DOMAIN = Path(chatbatch.domain.__file__).parent
ALLOWED_CHATBATCH = ("chatbatch.domain", "chatbatch.errors")
ALLOWED_THIRD_PARTY = ("pydantic",)


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _allowed(name: str) -> bool:
    top = name.split(".")[0]
    if top == "chatbatch":
        return any(name == prefix or name.startswith(prefix + ".") for prefix in ALLOWED_CHATBATCH)
    return top in ALLOWED_THIRD_PARTY or top == "__future__" or top in _STDLIB


_STDLIB = frozenset(__import__("sys").stdlib_module_names)


def test_every_domain_module_imports_only_pure_things():
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) > 20  # the walk found the package
    wrong = {str(path.relative_to(DOMAIN)): name for path in modules for name in _imports(path) if not _allowed(name)}
    assert wrong == {}


def test_the_whatsapp_text_limit_is_the_domains_and_the_webhook_document_uses_it():
    from chatbatch.api.webhook import FLAT_MESSAGE
    from chatbatch.domain.messages import WHATSAPP_MAX_TEXT_CHARS

    assert WHATSAPP_MAX_TEXT_CHARS == 65_536
    assert FLAT_MESSAGE["properties"]["body"]["maxLength"] == WHATSAPP_MAX_TEXT_CHARS
    assert not hasattr(__import__("chatbatch.settings").settings, "WHATSAPP_MAX_TEXT_CHARS")
