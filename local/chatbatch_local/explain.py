"""Query plans of the read-side views: run a view's own SQL under EXPLAIN and read the plan (tests, bench)."""

from __future__ import annotations

from collections.abc import Iterator


class ExplainingCursor:
    """Stands in for a cursor: runs what a view executes under EXPLAIN (FORMAT JSON) and keeps the plan.

    The view gets no rows back (``fetchall`` is empty): only the plan is wanted.
    """

    def __init__(self, cur, *, analyze: bool = False) -> None:
        self._cur = cur
        self._options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
        self.plan: dict = {}
        self.execution_ms: float | None = None
        self.description: list = []

    def execute(self, sql: str, params=None) -> None:
        self._cur.execute(f"EXPLAIN ({self._options}) {sql}", params)
        result = self._cur.fetchone()[0][0]
        self.plan = result["Plan"]
        self.execution_ms = result.get("Execution Time")

    def fetchall(self) -> list:
        return []


def plan_nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def index_scan(plan: dict, index: str) -> dict | None:
    """The plan's scan of ``index``, if it has one."""
    return next((node for node in plan_nodes(plan) if node.get("Index Name") == index), None)
