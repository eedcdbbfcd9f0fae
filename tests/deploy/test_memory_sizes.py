"""Each function's MemorySize is its own, chosen in docs/scale.md ("Memory and cold start") from the peak RSS and
the cold start measured by `make bench BENCH_ARGS="--only coldstart"`: the template and that choice agree."""

from __future__ import annotations

from tests.deploy.template import REPO_ROOT, function_folder, functions, template

SCALE = REPO_ROOT / "docs" / "scale.md"


def section_tables(title: str) -> list[list[dict[str, str]]]:
    """The markdown tables under ``## title`` (up to the next ``## ``), each as a list of header → cell rows."""
    text = SCALE.read_text().split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    tables, lines = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            lines.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif lines:
            headers, _, *rows = lines
            tables.append([dict(zip(headers, row)) for row in rows])
            lines = []
    return tables


def chosen() -> dict[str, int]:
    [choice] = [t for t in section_tables("Memory and cold start") if t and "MemorySize" in t[0]]
    return {row["function"]: int(row["MemorySize"]) for row in choice}


def test_each_function_has_the_memory_size_docs_scale_chose():
    assert "MemorySize" not in template()["Globals"]["Function"]  # no default: each function's is a choice
    in_template = {function_folder(f): f["Properties"]["MemorySize"] for f in functions().values()}

    assert in_template == chosen()


def test_each_memory_size_leaves_room_over_the_measured_peak():
    [peaks] = [t for t in section_tables("Memory and cold start") if t and "RSS through 1st invocation MB" in t[0]]
    peak = {}
    for row in peaks:
        name = row["function"].split(",")[0]
        peak[name] = max(peak.get(name, 0.0), float(row["RSS through 1st invocation MB"]))

    for name, size in chosen().items():
        assert size >= 2 * peak[name], (name, size, peak[name])
