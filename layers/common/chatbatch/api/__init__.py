"""The api function's routes (the webhooks, health, the chat-history API, the operator console), and the one thing
they all reach: the function's database."""

from __future__ import annotations

from chatbatch.db import Database, database_for
from chatbatch.settings import ApiSettings, get_settings


def api_database() -> Database:
    """The api function's cached database connection, from its settings (read on the first request, not at import)."""
    return database_for(get_settings(ApiSettings))
