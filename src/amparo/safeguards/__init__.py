"""Safeguards engine: which obligations apply to a case event, whether they bind, whether they are met.

A pure library (no web or database imports). The catalogue of safeguards is data
(``catalogue.yaml``); binding status comes from `amparo.commitments` for the deciding State on the
decision date.

Example:
    >>> import datetime
    >>> from amparo.safeguards import evaluate
    >>> ev = evaluate("decision:refuse", "ARG", datetime.date(2008, 1, 10), {"outcome": "refuse"})
    >>> ev.result("written-reasons").status, ev.ok
    ('binding', False)
"""

from amparo.safeguards.catalogue import Catalogue, SourceRef, load_catalogue
from amparo.safeguards.engine import SafeguardsEngine, default_engine, evaluate, load, normalise_state
from amparo.safeguards.evaluation import Binding, Evaluation, SafeguardResult
from amparo.safeguards.facts import AppealInformation, ChildAffected, EventFacts

__all__ = [
    "AppealInformation",
    "Binding",
    "Catalogue",
    "ChildAffected",
    "Evaluation",
    "EventFacts",
    "SafeguardResult",
    "SafeguardsEngine",
    "SourceRef",
    "default_engine",
    "evaluate",
    "load",
    "load_catalogue",
    "normalise_state",
]
