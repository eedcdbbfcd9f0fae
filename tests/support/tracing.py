"""A Powertools Tracer whose provider records the segments it is asked for (X-Ray is not reachable in tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment
from chatbatch.observability import tracer


@dataclass
class Segment(BaseSegment):
    name: str
    parent: str | None
    metadata: dict = field(default_factory=dict)
    error: BaseException | None = None

    def close(self, end_time=None) -> None:
        pass

    def add_subsegment(self, subsegment) -> None:
        pass

    def remove_subsegment(self, subsegment) -> None:
        pass

    def put_annotation(self, key, value) -> None:
        pass

    def put_metadata(self, key, value, namespace="default") -> None:
        self.metadata[key] = value

    def add_exception(self, exception, stack, remote=False) -> None:
        self.error = exception


class RecordingProvider(BaseProvider):
    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self._open: list[Segment] = []

    @contextmanager
    def in_subsegment(self, name=None, **kwargs) -> Iterator[Segment]:
        segment = Segment(name, self._open[-1].name if self._open else None)
        self.segments.append(segment)
        self._open.append(segment)
        try:
            yield segment
        finally:
            self._open.pop()

    def in_subsegment_async(self, name=None, **kwargs):
        raise NotImplementedError

    def put_annotation(self, key, value) -> None:
        pass

    def put_metadata(self, key, value, namespace="default") -> None:
        pass

    def patch(self, modules) -> None:
        pass

    def patch_all(self) -> None:
        pass

    def names(self) -> list[str]:
        return [segment.name for segment in self.segments]

    def parent_of(self, name: str) -> set[str | None]:
        return {segment.parent for segment in self.segments if segment.name == name}


@contextmanager
def recorded_segments() -> Iterator[RecordingProvider]:
    """Tracing on for the block, through a Tracer whose provider records each segment and its parent."""
    provider = RecordingProvider()
    Tracer._reset_config()  # Powertools keeps one config per process: "disabled" would stick from an earlier Tracer
    tracer.use(Tracer(provider=provider, disabled=False, auto_patch=False))
    try:
        yield provider
    finally:
        tracer.use(None)
        Tracer._reset_config()
