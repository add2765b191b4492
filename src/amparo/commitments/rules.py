"""Entry-into-force and denunciation rules as data, and the date arithmetic they need.

A rule is a small mapping such as ``{"kind": "days_after_deposit", "days": 30}``; it is checked once,
when the catalogue is loaded, so that a typo fails at load time with its file and line rather than
as a wrong date months later.

>>> add_months(datetime.date(1992, 11, 30), 3)
datetime.date(1993, 2, 28)
>>> entry_into_force({"kind": "first_day_of_month_after_months", "months": 3}, datetime.date(2007, 2, 23))
datetime.date(2007, 6, 1)
"""

from __future__ import annotations

import datetime
from typing import Any, Mapping

#: Rule kinds for a State that joins after the treaty is in force, with the parameter each needs.
EIF_KINDS: dict[str, str | None] = {
    # "on the thirtieth day after the date of deposit" (ICERD art. 19(2), CAT art. 27(2), ...)
    "days_after_deposit": "days",
    # "three months after the date of deposit" (ICCPR art. 49(2), CRC-OPAC art. 10(2), ...)
    "months_after_deposit": "months",
    # "first day of the month following a period of three months after deposit" (ICRMW art. 87(2))
    "first_day_of_month_after_months": "months",
    # "on the date of deposit" (1967 Protocol art. VIII(2))
    "on_deposit": None,
    # "twelve months after the date on which its ratification has been registered" (ILO conventions)
    "months_after_registration": "months",
}

#: Rule kinds for when a denunciation takes effect.
DENUNCIATION_KINDS: dict[str, str | None] = {
    "months_after_notification": "months",
    # The instrument has no denunciation clause; a notification of withdrawal has no effect unless
    # every party agrees (the Secretary-General's position on the ICCPR and ICESCR).
    "not_provided": None,
}


class RuleError(ValueError):
    """A rule mapping is malformed; the message says which key and what was expected."""


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month ``months`` later, clipped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    last = (following - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


def check_rule(rule: Any, kinds: Mapping[str, str | None]) -> dict[str, Any]:
    """Validate a rule mapping and return a clean copy.

    Raises:
        RuleError: the mapping has no known ``kind`` or lacks / mistypes its parameter.
    """
    if not isinstance(rule, Mapping):
        raise RuleError(f"a rule must be a mapping with a 'kind', got {rule!r}")
    kind = rule.get("kind")
    if kind not in kinds:
        raise RuleError(f"unknown rule kind {kind!r}; expected one of: {', '.join(sorted(kinds))}")
    param = kinds[kind]
    allowed = {"kind"} | ({param} if param else set())
    extra = set(rule) - allowed
    if extra:
        raise RuleError(f"rule {kind!r} does not take {', '.join(sorted(extra))}; it takes {sorted(allowed)}")
    clean: dict[str, Any] = {"kind": kind}
    if param:
        value = rule.get(param)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 400:
            raise RuleError(f"rule {kind!r} needs {param!r} as a whole number from 1 to 400, got {value!r}")
        clean[param] = value
    return clean


def entry_into_force(rule: Mapping[str, Any], deposit: datetime.date) -> datetime.date:
    """The date a State's act takes effect under ``rule``, before the treaty's own floor is applied."""
    kind = rule["kind"]
    if kind == "days_after_deposit":
        return deposit + datetime.timedelta(days=rule["days"])
    if kind in ("months_after_deposit", "months_after_registration"):
        return add_months(deposit, rule["months"])
    if kind == "first_day_of_month_after_months":
        end = add_months(deposit, rule["months"])
        return datetime.date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    if kind == "on_deposit":
        return deposit
    raise RuleError(f"unknown entry-into-force rule kind {kind!r}")


def denunciation_effective(rule: Mapping[str, Any] | None, notified: datetime.date) -> datetime.date | None:
    """When a denunciation notified on ``notified`` takes effect; None if the rule gives no date."""
    if rule is None or rule["kind"] == "not_provided":
        return None
    return add_months(notified, rule["months"])


def describe_eif(rule: Mapping[str, Any]) -> str:
    """Short English wording of a rule, for reasons and tables."""
    kind = rule["kind"]
    if kind == "days_after_deposit":
        return f"day {rule['days']} after deposit"
    if kind == "months_after_deposit":
        return f"{rule['months']} months after deposit"
    if kind == "first_day_of_month_after_months":
        return f"first day of the month after {rule['months']} months from deposit"
    if kind == "on_deposit":
        return "on deposit"
    return f"{rule['months']} months after registration"
