"""The one failure a shared store reports while serving."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """A shared store did not answer (Redis stopped, a SQLite file locked for too long): the request is answered
    503 in its gateway's own format, and the next one tries the store again."""
