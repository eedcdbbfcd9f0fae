"""cfn-lint finds nothing in template.yaml (`make lint` also runs `sam validate --lint`)."""

from __future__ import annotations

from cfnlint.api import lint_file
from cfnlint.config import ManualArgs

from tests.deploy.template import TEMPLATE


def test_cfn_lint_is_clean():
    matches = lint_file(TEMPLATE, config=ManualArgs(regions=["us-east-1"]))
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []
