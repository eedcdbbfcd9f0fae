"""The smoke tests' reader of benchmark tables reads what bench.report prints, numbers and all."""

from __future__ import annotations

import pytest

from bench.report import print_table
from tests.support.bench import number, row, table, tables


def test_a_printed_table_reads_back_as_rows_of_numbers(capsys):
    rows = [["idle", 0.25, 158.0, "632.00x"], ["busy", 4, 1234.5, "n/a"]]
    print_table("Costs (ms)", ["case", "ours", "theirs", "ratio"], rows)
    out = capsys.readouterr().out

    assert list(tables(out)) == ["Costs (ms)"]
    idle, busy = table(out, "Costs")
    assert (number(idle["ours"]), number(idle["theirs"]), number(idle["ratio"])) == (0.25, 158.0, 632.0)
    assert number(busy["theirs"]) == 1234.0 and row(table(out, "Costs"), case="bu") == busy
    with pytest.raises(AssertionError, match="'n/a' is not a number"):
        number(busy["ratio"])


def test_a_cell_that_is_no_finite_number_fails():
    for cell in ("nan", "inf", "", "12 ms"):
        with pytest.raises(AssertionError):
            number(cell)
