"""Job and reply-part statuses reach SQL as parameters from their enums (JobStatus, PartStatus): no SQL text in the
store or the views spells one, so renaming a status is one change, and the in-flight predicate is JobStatus's."""

import re
from pathlib import Path

import chatbatch
from chatbatch.domain.jobs import IN_FLIGHT, JobStatus, sql_values
from chatbatch.domain.sending import PartStatus

PACKAGE = Path(chatbatch.__file__).parent
STATUSES = sorted({s.value for s in JobStatus} | {s.value for s in PartStatus})
QUOTED = re.compile(r"'(" + "|".join(STATUSES) + r")'")


def test_no_sql_of_the_store_or_the_views_spells_a_status():
    files = [*sorted((PACKAGE / "store").glob("*.py")), PACKAGE / "views.py"]
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if QUOTED.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []


def test_the_in_flight_statuses_are_every_unfinished_job_status_in_the_enums_order():
    assert sql_values(IN_FLIGHT) == ("pending", "enqueued", "generating", "replied")
    assert sql_values({JobStatus.FAILED, JobStatus.PENDING}) == ("pending", "failed")
