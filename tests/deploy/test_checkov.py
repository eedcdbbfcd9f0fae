"""checkov (`make lint`, offline) finds no failed check in template.yaml: each one is fixed, or skipped in the
template with its reason. Slow: it runs the checkov CLI from its own virtualenv (`make checkov-venv`)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.deploy.template import REPO_ROOT, TEMPLATE

pytestmark = pytest.mark.slow
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"


def checkov(template_path) -> dict:
    """checkov's JSON report of one template, offline (no policy download, no API key)."""
    subprocess.run(["make", "--silent", "checkov-venv"], cwd=REPO_ROOT, check=True)
    run = subprocess.run(
        [str(CHECKOV), "--file", str(template_path), "--framework", "cloudformation", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        # offline: no platform (no API key, no mapping download), no update check
        env={
            **{name: value for name, value in os.environ.items() if name != "BC_API_KEY"},
            "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
            "BC_SKIP_MAPPING": "TRUE",
        },
        timeout=300,
    )
    assert run.stdout.strip(), run.stderr
    return json.loads(run.stdout)["results"]


def test_checkov_reports_no_failed_check_and_every_skip_says_why():
    results = checkov(TEMPLATE)

    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in results["failed_checks"]]
    assert failed == []
    assert results["passed_checks"]
    assert all(c["check_result"].get("suppress_comment", "").strip() for c in results["skipped_checks"])


def test_a_check_the_template_stops_skipping_is_reported(tmp_path):
    # Given the template without its reasons for the Lambda dead-letter-queue check (CKV_AWS_116)
    changed = tmp_path / "template.yaml"
    changed.write_text(TEMPLATE.read_text().replace("id: CKV_AWS_116", "id: CKV_AWS_NONE"))

    failed = {(c["check_id"], c["resource"]) for c in checkov(changed)["failed_checks"]}

    assert ("CKV_AWS_116", "AWS::Serverless::Function.ApiFunction") in failed
