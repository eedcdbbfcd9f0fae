"""scripts/find-python: how `make` finds its interpreter on a fresh machine, from a plain shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "find-python"
SYSTEM_PYTHON_312 = [
    p for p in ("/usr/local/bin/python3.12", "/opt/homebrew/bin/python3.12", "/usr/bin/python3.12") if os.path.exists(p)
]


def find_python(home: Path, path: Path) -> subprocess.CompletedProcess:
    """The script in a shell that has only ``path`` on PATH and ``home`` as HOME (no pyenv init, no profile)."""
    return subprocess.run(
        ["/bin/sh", str(SCRIPT)], env={"HOME": str(home), "PATH": str(path)}, capture_output=True, text=True, timeout=30
    )


@pytest.mark.skipif(sys.version_info[:2] != (3, 12), reason="needs a Python 3.12 to install under a fake pyenv")
def test_a_pyenv_python_312_is_found_without_pyenv_on_path(tmp_path):
    # Given Python 3.12 installed by pyenv, and a shell whose PATH has neither pyenv nor any python
    interpreter = tmp_path / "home" / ".pyenv" / "versions" / "3.12.9" / "bin" / "python3.12"
    interpreter.parent.mkdir(parents=True)
    interpreter.symlink_to(os.path.realpath(sys.executable))
    (tmp_path / "bin").mkdir()

    # When make asks for an interpreter
    result = find_python(tmp_path / "home", tmp_path / "bin")

    # Then the pyenv one is chosen, silently
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, str(interpreter), "")


@pytest.mark.skipif(bool(SYSTEM_PYTHON_312), reason="a system Python 3.12 exists here, so no fallback happens")
def test_without_python_312_it_falls_back_to_311_with_a_warning(tmp_path):
    # Given only a Python 3.11 on PATH (a stand-in that answers like one)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "python3.11"
    fake.write_text(
        '#!/bin/sh\n[ "$1" = --version ] && echo "Python 3.11.9"\n'
        'case "$2" in *"(3, 11)"*) exit 0 ;; *) exit 1 ;; esac\n'
    )
    fake.chmod(0o755)

    # When make asks for an interpreter
    result = find_python(tmp_path, bin_dir)

    # Then it gets the 3.11 one and a warning saying Lambda runs 3.12
    assert (result.returncode, result.stdout.strip()) == (0, str(fake))
    assert "no Python 3.12 found" in result.stderr and "Lambda runs 3.12" in result.stderr
