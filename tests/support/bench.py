"""What a benchmark printed (bench.report.print_table), read back: its tables as rows of cells by header, and the
numbers in the cells, so a smoke test checks the numbers a claim rests on rather than the headings."""

from __future__ import annotations

import math
import re

_NUMBER = re.compile(r"^-?[0-9][0-9,]*(?:\.[0-9]+)?x?$")


def tables(out: str) -> dict[str, list[dict[str, str]]]:
    """Every table in ``out``, by its title: its rows as ``{header: cell}``."""
    found: dict[str, list[dict[str, str]]] = {}
    title, headers = None, None
    for line in out.splitlines():
        if line.startswith("## "):
            title, headers = line[3:].strip(), None
            found[title] = []
        elif title is not None and line.startswith("|") and not line.startswith("|-"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if headers is None:
                headers = cells
            else:
                found[title].append(dict(zip(headers, cells, strict=True)))
    return found


def table(out: str, title_starts: str) -> list[dict[str, str]]:
    """The rows of the one table whose title starts with ``title_starts``."""
    [rows] = [rows for title, rows in tables(out).items() if title.startswith(title_starts)]
    assert rows, f"the table {title_starts!r} has no rows"
    return rows


def number(cell: str) -> float:
    """A cell's number ("1,234", "0.503", "0.28x"): finite, else the test fails naming the cell."""
    assert _NUMBER.match(cell), f"{cell!r} is not a number"
    value = float(cell.removesuffix("x").replace(",", ""))
    assert math.isfinite(value), f"{cell!r} is not finite"
    return value


def row(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    """The one row whose cells start with the given values (``list="rooms"``)."""
    [found] = [r for r in rows if all(r[k].startswith(v) for k, v in match.items())]
    return found
