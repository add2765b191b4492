"""Regularization programmes as data: schema, loader, eligibility pre-assessment and design check.

A pure library (no web or database imports). A programme is a versioned YAML document validated on
load (a malformed one fails with its file, line and what was expected); `assess` explains each
eligibility criterion; `check_programme` flags designs that break safeguards, using
`amparo.safeguards` and `amparo.commitments` for the programme's State on its start date.
"""

from amparo.programmes.check import CheckReport, Finding, Problem, check_programme
from amparo.programmes.eligibility import (
    Applicant,
    Assessment,
    CriterionResult,
    Evidence,
    IdentityDocumentFacts,
    age_on,
    assess,
)
from amparo.programmes.loader import (
    ProgrammeSource,
    example_paths,
    load_example,
    load_examples,
    load_programme,
    parse_programme,
    read_programme,
    version_on,
)
from amparo.programmes.schemas import EVIDENCE_KINDS, Programme

__all__ = [
    "EVIDENCE_KINDS",
    "Applicant",
    "Assessment",
    "CheckReport",
    "CriterionResult",
    "Evidence",
    "Finding",
    "IdentityDocumentFacts",
    "Problem",
    "Programme",
    "ProgrammeSource",
    "age_on",
    "assess",
    "check_programme",
    "example_paths",
    "load_example",
    "load_examples",
    "load_programme",
    "parse_programme",
    "read_programme",
    "version_on",
]
