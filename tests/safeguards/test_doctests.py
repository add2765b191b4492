"""The examples in the engines' docstrings are run, so the documentation cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "amparo.safeguards",
    "amparo.safeguards.catalogue",
    "amparo.safeguards.checks",
    "amparo.safeguards.engine",
    "amparo.safeguards.facts",
    "amparo.programmes.eligibility",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no examples to run"
