"""The examples in the evidence docstrings run."""

from __future__ import annotations

import doctest

from amparo.evidence import sniff


def test_docstring_examples():
    result = doctest.testmod(sniff)
    assert result.attempted > 0 and result.failed == 0
