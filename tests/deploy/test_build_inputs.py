"""What `sam build` reads besides the template: each function folder says it needs nothing beyond the layer (so
the build prints no "requirements.txt file not found" warnings), and the layer ships no local tooling."""

from __future__ import annotations

from tests.deploy.template import REPO_ROOT, function_folder, functions

LAYER = REPO_ROOT / "layers" / "common" / "chatbatch"


def test_every_function_folder_has_a_requirements_file_that_adds_nothing():
    for resource in functions().values():
        requirements = REPO_ROOT / "functions" / function_folder(resource) / "requirements.txt"
        assert requirements.exists(), f"{requirements} is missing: sam build warns about it"
        lines = [line for line in requirements.read_text().splitlines() if line.strip() and not line.startswith("#")]
        assert lines == [], "a function's dependencies belong in the layer (layers/common/requirements.txt)"


def test_the_layer_ships_no_cli_and_no_local_tooling():
    shipped = {path.relative_to(LAYER).as_posix() for path in LAYER.rglob("*.py")}
    assert "cli.py" not in shipped
    assert not [name for name in shipped if "chatbatch_local" in (LAYER / name).read_text()]
