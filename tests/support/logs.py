"""The functions' log lines (Powertools' JSON logger), captured at a chosen level."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from chatbatch.observability import logger


@contextmanager
def captured_logs(level: str) -> Iterator[io.StringIO]:
    """The logger at ``level``, its lines written to the yielded stream; both restored afterwards."""
    previous_level = logger.log_level
    logger.setLevel(level)
    stream = io.StringIO()
    previous_stream = logger.registered_handler.setStream(stream)
    try:
        yield stream
    finally:
        logger.registered_handler.setStream(previous_stream)
        logger.setLevel(previous_level)
