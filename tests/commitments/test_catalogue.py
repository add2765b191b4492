"""The hand-written instrument catalogue: complete, consistent, and strict about malformed entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from amparo.commitments.catalogue import CATALOGUE_PATH, load_catalogue, parse_catalogue
from amparo.errors import DataError

ISSUE_IDS = (
    "ICERD ICESCR ICCPR ICCPR_OP1 ICCPR_OP2 ICESCR_OP CEDAW CEDAW_OP CAT CAT_OP CRC CRC_OPAC CRC_OPSC CRC_OPIC "
    "ICRMW CRPD CRPD_OP CPED UNTOC UNTOC_TIP UNTOC_SOM REFUGEE_1951 REFUGEE_1967 VCCR ILO_C029 ILO_P029 ILO_C097 "
    "ILO_C143 ILO_C189"
).split()

#: PRODUCT.md section 5: general entry into force, where it gives one.
PRODUCT_EIF = {
    "ICERD": "1969-01-04", "ICESCR": "1976-01-03", "ICCPR": "1976-03-23", "ICCPR_OP1": "1976-03-23",
    "CEDAW": "1981-09-03", "CAT": "1987-06-26", "CRC": "1990-09-02", "ICRMW": "2003-07-01", "UNTOC": "2003-09-29",
    "UNTOC_TIP": "2003-12-25", "UNTOC_SOM": "2004-01-28", "CRPD": "2008-05-03", "CPED": "2010-12-23",
    "VCCR": "1967-03-19", "REFUGEE_1951": "1954-04-22",
}

GOOD = """
- id: ICRMW
  short_name: ICRMW
  title: Migrant Workers Convention
  adopted: 1990-12-18
  entry_into_force: 2003-07-01
  eif_rule: {kind: first_day_of_month_after_months, months: 3}
  eif_article: art. 87(2)
"""


def test_catalogue_has_the_issue_instruments_in_order() -> None:
    assert [i.id for i in load_catalogue().instruments] == ISSUE_IDS


def test_general_entry_into_force_dates_are_product_md() -> None:
    by_id = load_catalogue().by_id
    assert {k: by_id[k].entry_into_force.isoformat() for k in PRODUCT_EIF} == PRODUCT_EIF


def test_protocols_name_their_parent() -> None:
    by_id = load_catalogue().by_id
    for inst in by_id.values():
        if "_OP" in inst.id or inst.id in ("UNTOC_TIP", "UNTOC_SOM", "REFUGEE_1967", "ILO_P029"):
            assert inst.parent in by_id, inst.id


def test_a_good_entry_parses() -> None:
    catalogue = parse_catalogue(GOOD)
    assert catalogue.by_id["ICRMW"].eif_rule == {"kind": "first_day_of_month_after_months", "months": 3}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("months: 3", "months: three"), "line 2: ICRMW: rule 'first_day_of_month_after_months' needs 'months'"),
        (("kind: first_day_of_month_after_months", "kind: first_of_month"), "line 2: ICRMW: unknown rule kind 'first_of_month'"),
        (("entry_into_force: 2003-07-01", "entry_into_force: 1 July 2003"), "line 2: entry_into_force is '1 July 2003'; expected a date"),
        (("entry_into_force: 2003-07-01", "entry_into_force: 1980-01-01"), "is before adopted"),
        (("  eif_article: art. 87(2)\n", ""), "line 2: entry 'ICRMW' lacks eif_article"),
        (("  title:", "  tittle:"), "unknown key(s) tittle"),
    ],
)
def test_malformed_entries_fail_with_file_and_line(change: tuple[str, str], message: str) -> None:
    with pytest.raises(DataError) as err:
        parse_catalogue(GOOD.replace(*change), "instruments.yaml")
    assert message in err.value.message
    assert err.value.message.startswith("instruments.yaml")


def test_an_alias_used_twice_is_refused() -> None:
    twice = GOOD + GOOD.replace("id: ICRMW", "id: OTHER").replace("short_name: ICRMW", "short_name: CMW2").replace("- id", "- aliases: [icrmw]\n  id")
    with pytest.raises(DataError) as err:
        parse_catalogue(twice)
    assert "alias 'icrmw' already names ICRMW" in err.value.message


def test_an_unknown_parent_is_refused() -> None:
    with pytest.raises(DataError) as err:
        parse_catalogue(GOOD + "  parent: NOPE\n")
    assert "parent 'NOPE' is not in the catalogue" in err.value.message


def test_invalid_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(CATALOGUE_PATH.read_text(encoding="utf-8") + "\n- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_catalogue(path)
    assert err.value.message.startswith("broken.yaml: not valid YAML")
