"""The one thing the api function's routes all reach: its database."""

from __future__ import annotations

from chatbatch.db import Database, database_for
from chatbatch.settings import ApiSettings, get_settings


def api_database() -> Database:
    """The api function's cached database connection, from its settings (read on the first request, not at import)."""
    return database_for(get_settings(ApiSettings))
