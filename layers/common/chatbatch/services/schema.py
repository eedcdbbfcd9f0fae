"""Use case: bring the database schema up to date when CloudFormation creates or updates the stack.

Applying migrations is idempotent (each runs once, under an advisory lock), so Create and Update do the same
thing; Delete leaves the database alone (the data outlives the stack). CloudFormation always gets an answer:
SUCCESS, or FAILED with the reason — also when the migrations raise or run past the deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from chatbatch.adapters.cloudformation import CustomResourceRequest, CustomResourceResponse, Responder
from chatbatch.migrate import Migration
from chatbatch.observability import logger

ApplyMigrations = Callable[[], list[Migration]]


def physical_id(request: CustomResourceRequest) -> str:
    # Stable across updates: a new id would make CloudFormation "replace" the schema and send a Delete.
    return request.physical_resource_id or f"{request.logical_resource_id}-schema"


def decide(
    request: CustomResourceRequest, apply_migrations: ApplyMigrations, *, deadline_seconds: float
) -> CustomResourceResponse:
    """What to answer: run the migrations (Create/Update) within ``deadline_seconds``; Delete does nothing."""
    if request.request_type == "Delete":
        return CustomResourceResponse(
            status="SUCCESS", reason="the database is kept", physical_resource_id=physical_id(request)
        )
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="migrate")
    try:
        applied = pool.submit(apply_migrations).result(timeout=deadline_seconds)
    except FutureTimeout:
        reason = f"migrations did not finish within {deadline_seconds:.0f} s (a lock held by another session?)"
        return CustomResourceResponse(status="FAILED", reason=reason, physical_resource_id=physical_id(request))
    except Exception as exc:  # any failure must still reach CloudFormation, with its reason
        reason = f"migrations failed: {type(exc).__name__}: {str(exc).strip() or 'no detail'}"
        return CustomResourceResponse(status="FAILED", reason=reason, physical_resource_id=physical_id(request))
    finally:
        pool.shutdown(wait=False)  # a migration still running past the deadline must not hold the answer back
    names = ",".join(f"{m.version:04d}_{m.name}" for m in applied)
    return CustomResourceResponse(
        status="SUCCESS",
        reason=f"applied {len(applied)} migration(s)" if applied else "schema already up to date",
        physical_resource_id=physical_id(request),
        data={"Applied": names},
    )


def answer_schema_request(
    request: CustomResourceRequest, apply_migrations: ApplyMigrations, respond: Responder, *, deadline_seconds: float
) -> CustomResourceResponse:
    response = decide(request, apply_migrations, deadline_seconds=deadline_seconds)
    log = logger.info if response.status == "SUCCESS" else logger.error
    log(
        "schema request answered",
        extra={"request_type": request.request_type, "status": response.status, "reason": response.reason},
    )
    respond(request, response)
    return response
