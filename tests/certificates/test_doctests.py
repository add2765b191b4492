"""The examples in the certificates docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["amparo.certificates", "amparo.certificates.keys", "amparo.certificates.pdf", "amparo.certificates.tokens"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
