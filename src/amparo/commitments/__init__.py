"""Commitments engine: which treaties bind which State on which date, and why.

A pure library (no web or database imports). ``load()`` reads the data shipped in ``data/``
(built from UN Treaty Collection and ILO facts by ``amparo treaties build-data``) once per process::

    >>> from amparo.commitments import load
    >>> c = load()
    >>> c.status("Argentina", "CMW", "2007-06-01").status
    'binding'
    >>> c.count("ICCPR", "2004-08-31").count
    152
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from amparo.commitments.engine import Commitments, as_date
from amparo.commitments.lookup import UnknownInstrument, UnknownState
from amparo.commitments.model import (
    ComplaintRoute,
    CountAnswer,
    Instrument,
    Participant,
    PartiesAnswer,
    StateInfo,
    StatusAnswer,
    YearCount,
)

DATA_DIR = Path(__file__).parent / "data"

__all__ = [
    "Commitments",
    "ComplaintRoute",
    "CountAnswer",
    "DATA_DIR",
    "Instrument",
    "Participant",
    "PartiesAnswer",
    "StateInfo",
    "StatusAnswer",
    "UnknownInstrument",
    "UnknownState",
    "YearCount",
    "as_date",
    "load",
]


@lru_cache(maxsize=1)
def load() -> Commitments:
    """The engine over the shipped data; the same object on every call in a process."""
    from amparo.commitments.engine import load_from

    return load_from(DATA_DIR)
