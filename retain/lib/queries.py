"""Limits shared by every query that filters by a list of ids."""

from __future__ import annotations

# Above this many ids a query reads the whole workspace and keeps what it needs instead of sending
# the ids as parameters: SQLite refuses statements with more than a few thousand of them, and a long
# IN list costs more to plan than the rows it saves.
MAX_IDS_IN_QUERY = 500
