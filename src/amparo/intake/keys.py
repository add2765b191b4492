"""The intake key: what makes importing the same row twice create nothing new.

The key is stored on the application (`applications.intake_key`, unique), so the database itself
refuses a second application for the same form even if two imports of one file race.
"""

from __future__ import annotations

#: Marks keys made by bulk intake, so other sources of keys (e.g. an offline app) cannot collide.
PREFIX = "csv"


def intake_key(site: str, row_id: str) -> str:
    """The key of form `row_id` of intake site `site`; readable, so an operator can find the row.

    Sites and row ids are validated to exclude ':' (see `amparo.intake.format`), so the key is
    unambiguous, and their lengths (40 + 64) keep it within the column's 128 characters.

    Examples:
        >>> intake_key("cucuta-terminal", "F-000123")
        'csv:cucuta-terminal:F-000123'
    """
    return f"{PREFIX}:{site}:{row_id}"
