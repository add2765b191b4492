"""Queries on the shipped data: counts, status, lists, timelines, complaint routes, resolution."""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.commitments import Commitments, CountAnswer, StatusAnswer, UnknownInstrument, UnknownState, load
from amparo.errors import AmparoError, InvalidInput, NotFound

D = datetime.date


@pytest.fixture(scope="module")
def c() -> Commitments:
    return load()


class TestFootnote5:
    """A/59/377 footnote 5: on 31 August 2004, ICCPR 152 parties, ICESCR 149, ICERD 169."""

    @pytest.mark.parametrize(("instrument", "expected"), [("ICCPR", 152), ("ICESCR", 149), ("ICERD", 169)])
    def test_counts_on_2004_08_31(self, c: Commitments, instrument: str, expected: int) -> None:
        answer = c.count(instrument, D(2004, 8, 31))
        assert isinstance(answer, CountAnswer)
        assert answer.count == expected
        assert not answer.partial and not answer.stale
        assert "treaties.un.org" in answer.source

    def test_count_changes_on_the_day_of_a_deposit(self, c: Commitments) -> None:
        # Argentina's ICRMW ratification was deposited on 2007-02-23: counted that day, not the day before.
        before, day_of = c.count("ICRMW", D(2007, 2, 22)).count, c.count("ICRMW", D(2007, 2, 23)).count
        assert day_of - before >= 1
        assert "ARG" not in {p.state for p in c.parties("ICRMW", D(2007, 2, 22)).parties}
        assert "ARG" in {p.state for p in c.parties("ICRMW", D(2007, 2, 23)).parties}


class TestStatus:
    def test_argentina_icrmw_boundary(self, c: Commitments) -> None:
        before = c.status("ARG", "ICRMW", D(2007, 5, 31))
        day_of = c.status("ARG", "ICRMW", D(2007, 6, 1))
        assert isinstance(before, StatusAnswer)
        assert (before.status, day_of.status) == ("not_binding", "binding")
        assert day_of.binding and not before.binding
        assert day_of.reason == "ratified 2007-02-23; in force for ARG from 2007-06-01 under ICRMW art. 87(2)"
        assert before.in_force_from == day_of.in_force_from == D(2007, 6, 1)

    def test_colombia_icrmw_waits_for_the_convention(self, c: Commitments) -> None:
        assert c.status("COL", "ICRMW", D(2003, 6, 30)).status == "not_binding"
        assert c.status("COL", "ICRMW", D(2003, 7, 1)).status == "binding"
        assert "acceded 1995-05-24" in c.status("COL", "ICRMW", D(2003, 7, 1)).reason

    def test_to_dict_is_json_ready(self, c: Commitments) -> None:
        data = c.status("ARG", "ICRMW", D(2007, 5, 31)).to_dict()
        assert data["on"] == "2007-05-31" and data["status"] == "not_binding"
        assert data["state"] == "ARG" and data["instrument"] == "ICRMW"
        assert data["status_as_at"] == "2026-02-03"

    @pytest.mark.parametrize("spelling", ["Argentina", "AR", "ARG", "argentina", "arg", " Argentina "])
    def test_state_spellings(self, c: Commitments, spelling: str) -> None:
        assert c.resolve_state(spelling) == "ARG"

    @pytest.mark.parametrize(
        ("name", "code"),
        [("Türkiye", "TUR"), ("Bolivia (Plurinational State of)", "BOL"), ("Holy See", "VAT"),
         ("State of Palestine", "PSE"), ("European Union", "EUU"), ("Cook Islands", "COK"), ("Niue", "NIU"),
         ("Democratic People's Republic of Korea", "PRK"), ("Republic of Korea", "KOR"), ("Côte d'Ivoire", "CIV"),
         ("cote divoire", "CIV"), ("Netherlands (Kingdom of the)", "NLD"), ("Bahamas (The)", "BHS"),
         ("Russia", "RUS"), ("UK", "GBR"), ("Ivory Coast", "CIV"), ("Vatican", "VAT"), ("EU", "EUU"), ("Viet Nam", "VNM")],
    )
    def test_untc_spellings_resolve(self, c: Commitments, name: str, code: str) -> None:
        assert c.resolve_state(name) == code

    def test_state_info(self, c: Commitments) -> None:
        assert c.state("Argentina").to_dict() == {"code": "ARG", "alpha2": "AR", "name": "Argentina", "un_member": True}
        assert (c.state("EUU").alpha2, c.state("Holy See").un_member) == (None, False)

    def test_unknown_state_names_value_and_suggests(self, c: Commitments) -> None:
        with pytest.raises(UnknownState) as err:
            c.status("Argentinia", "ICRMW", D(2020, 1, 1))
        assert isinstance(err.value, NotFound)
        assert "'Argentinia'" in err.value.message and "ARG (Argentina)" in err.value.message
        assert err.value.details[0]["suggestions"][0] == "ARG (Argentina)"

    def test_unknown_instrument_names_value_and_suggests(self, c: Commitments) -> None:
        with pytest.raises(UnknownInstrument) as err:
            c.instrument("ICCPR-OP3")
        assert "'ICCPR-OP3'" in err.value.message and "ICCPR_OP1" in err.value.message

    @pytest.mark.parametrize("bad", ["31/08/2004", "2004-02-30", "yesterday", ""])
    def test_malformed_date_says_the_format(self, c: Commitments, bad: str) -> None:
        with pytest.raises(InvalidInput) as err:
            c.status("ARG", "ICRMW", bad)
        assert "YYYY-MM-DD" in err.value.message and repr(bad) in err.value.message

    def test_unhashable_input_is_a_clear_error(self, c: Commitments) -> None:
        with pytest.raises(InvalidInput) as err:
            c.status(["ARG"], "ICRMW", D(2020, 1, 1))  # type: ignore[arg-type]
        assert "must be text" in err.value.message and "['ARG']" in err.value.message

    def test_accepts_iso_strings_and_datetimes(self, c: Commitments) -> None:
        assert c.status("ARG", "ICRMW", "2007-06-01").on == D(2007, 6, 1)
        assert c.status("ARG", "ICRMW", datetime.datetime(2007, 5, 31, 23, 59)).status == "not_binding"

    def test_precomputed_answers_match_the_facts(self, c: Commitments) -> None:
        # Every State, instrument and a spread of days, including every segment start.
        for inst in c.instruments():
            for code in list(c._records[inst.id])[:60] + ["BTN", "USA"]:
                starts, _ = c._timeline(inst.id, code)
                days = {D.fromordinal(s) for s in starts[1:]} | {D(1990, 1, 1), D(2004, 8, 31), D(2030, 1, 1)}
                days |= {d - datetime.timedelta(days=1) for d in days}
                for day in days:
                    assert c.status(code, inst.id, day) == c.explain(code, inst.id, day), (code, inst.id, day)


@settings(max_examples=300, deadline=None)
@given(
    state=st.sampled_from(["ARG", "COL", "BLR", "GUY", "TTO", "JAM", "CZE", "PRK", "USA", "DEU", "MDG", "ALB", "EUU", "VAT", "BTN"]),
    instrument=st.sampled_from(["ICRMW", "ICCPR", "ICCPR_OP1", "CRC", "CRPD", "ILO_C189", "ILO_C143", "ILO_C097", "UNTOC", "REFUGEE_1967"]),
    day=st.dates(min_value=D(1960, 1, 1), max_value=D(2035, 12, 31)),
)
def test_fast_path_equals_the_facts_on_any_day(state: str, instrument: str, day: D) -> None:
    c = load()
    assert c.status(state, instrument, day) == c.explain(state, instrument, day)


def test_loading_does_not_import_build_web_or_database_modules() -> None:
    code = (
        "import sys, amparo.commitments as c; c.load().status('ARG', 'ICRMW', '2007-06-01'); "
        "print(sorted(m for m in ('pycountry', 'yaml', 'lxml', 'fastapi', 'sqlalchemy', 'typer') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


class TestCounts:
    def test_denunciation_leaves_the_count_on_its_effective_date(self, c: Commitments) -> None:
        # Belarus denounced ICCPR-OP1 with effect from 2023-02-08.
        assert c.count("ICCPR_OP1", D(2023, 2, 8)).count == c.count("ICCPR_OP1", D(2023, 2, 7)).count - 1
        assert "BLR" in {p.state for p in c.parties("ICCPR_OP1", D(2023, 2, 7)).parties}
        assert "BLR" not in {p.state for p in c.parties("ICCPR_OP1", D(2023, 2, 8)).parties}

    def test_reaccession_is_not_counted_twice(self, c: Commitments) -> None:
        # Guyana re-acceded on 1999-01-05 while its 1993 accession ran to 1999-04-05.
        around = [c.count("ICCPR_OP1", D(1999, 1, d)).count for d in (4, 5)]
        assert around[0] == around[1]

    def test_dprk_withdrawal_not_given_effect_stays_counted(self, c: Commitments) -> None:
        assert "PRK" in {p.state for p in c.parties("ICCPR", D(2026, 2, 3)).parties}

    def test_count_equals_parties_list(self, c: Commitments) -> None:
        for inst in c.instruments():
            for day in (D(2004, 8, 31), inst.status_as_at):
                assert c.count(inst.id, day).count == len(c.parties(inst.id, day).parties), inst.id

    def test_stale_count_is_flagged(self, c: Commitments) -> None:
        answer = c.count("UNTOC", D(2020, 1, 1))
        assert answer.stale and "2014-07-10" in answer.reason
        assert not c.count("UNTOC", D(2014, 7, 10)).stale

    @pytest.mark.parametrize("instrument", ["ILO_C097", "ILO_C143"])
    def test_partial_counts_are_lower_bounds(self, c: Commitments, instrument: str) -> None:
        inst = c.instrument(instrument)
        answer = c.count(instrument, inst.status_as_at)
        assert answer.partial and inst.partial
        assert 0 < answer.count < inst.declared_parties
        assert str(inst.declared_parties) in answer.reason

    def test_complete_csv_only_instruments_count_every_act_at_their_status_date(self, c: Commitments) -> None:
        for inst in c.instruments():
            with_acts = sum(1 for r in c._records[inst.id].values() if r.get("acts") and not r.get("denunciations"))
            if not inst.partial and not any(r.get("denunciations") for r in c._records[inst.id].values()):
                assert c.count(inst.id, inst.status_as_at).count == with_acts, inst.id


class TestLists:
    def test_non_parties_split_signatories(self, c: Commitments) -> None:
        answer = c.non_parties("ICRMW", D(2004, 8, 31))
        signatories = {p.state for p in answer.signatories}
        assert "ARG" in signatories  # signed 2004-08-10, ratified 2007
        others = {p.state for p in answer.others}
        assert "USA" in others and "ARG" not in others
        parties = {p.state for p in c.parties("ICRMW", D(2004, 8, 31)).parties}
        assert not parties & (signatories | others)
        assert "EUU" not in others  # ICRMW is not open to regional organisations
        assert {"VAT", "PSE"} <= others | signatories | parties

    def test_every_un_member_is_a_party_or_a_non_party(self, c: Commitments) -> None:
        day = D(2026, 2, 3)
        parties = {p.state for p in c.parties("CRC", day).parties}
        non = c.non_parties("CRC", day)
        listed = parties | {p.state for p in non.signatories} | {p.state for p in non.others}
        assert len({code for code in listed if c._states[code][3]}) == 193
        assert {p.state for p in non.signatories} == {"USA"}

    def test_partial_non_parties_are_unknown(self, c: Commitments) -> None:
        answer = c.non_parties("ILO_C097", D(2020, 1, 1))
        assert answer.partial and answer.note
        assert {p.status for p in answer.others} == {"unknown"}

    def test_profile_covers_every_instrument(self, c: Commitments) -> None:
        answers = c.profile("COL", D(2021, 3, 1))
        assert [a.instrument for a in answers] == [i.id for i in c.instruments()]
        by_id = {a.instrument: a.status for a in answers}
        assert by_id["ICRMW"] == "binding" and by_id["ICESCR_OP"] == "not_binding"
        assert by_id["UNTOC"] == "binding"  # party at its 2014 status date, so still a party in 2021

    def test_timeline_matches_counts(self, c: Commitments) -> None:
        for inst in c.instruments():
            rows = c.timeline(inst.id)
            assert rows[-1].parties == c.count(inst.id, inst.status_as_at).count
            for row in rows[:-1]:
                assert row.parties == c.count(inst.id, D(row.year, 12, 31)).count
            assert sum(r.joined for r in rows) - sum(r.left for r in rows) == rows[-1].parties


class TestComplaints:
    def test_cat_article_22_declaration(self, c: Commitments) -> None:
        routes = {r.instrument: r for r in c.complaint_routes("ARG", D(2020, 1, 1))}
        assert routes["CAT"].status == "binding" and "art. 22 declaration" in routes["CAT"].reason
        usa = {r.instrument: r for r in c.complaint_routes("USA", D(2020, 1, 1))}
        assert usa["CAT"].status == "not_binding" and "no art. 22 declaration" in usa["CAT"].reason

    def test_icrmw_article_77_needs_ten_declarations(self, c: Commitments) -> None:
        routes = {r.instrument: r for r in c.complaint_routes("MEX", D(2025, 1, 1))}
        assert routes["ICRMW"].status == "not_binding"
        assert "of the 10 declarations" in routes["ICRMW"].reason

    def test_optional_protocol_route_follows_binding(self, c: Commitments) -> None:
        blr = {r.instrument: r.status for r in c.complaint_routes("BLR", D(2023, 2, 8))}
        assert blr["ICCPR_OP1"] == "not_binding"
        assert {r.instrument: r.status for r in c.complaint_routes("BLR", D(2023, 2, 7))}["ICCPR_OP1"] == "binding"


class TestCatalogueAccess:
    def test_load_is_cached(self) -> None:
        assert load() is load()

    @pytest.mark.parametrize(
        ("alias", "iid"),
        [("cmw", "ICRMW"), ("ICMW", "ICRMW"), ("CCPR", "ICCPR"), ("CESCR", "ICESCR"), ("CERD", "ICERD"),
         ("OPCAT", "CAT_OP"), ("1951 Convention", "REFUGEE_1951"), ("Refugee Convention", "REFUGEE_1951"),
         ("Trafficking Protocol", "UNTOC_TIP"), ("Smuggling Protocol", "UNTOC_SOM"), ("VCCR", "VCCR"),
         ("ILO C189", "ILO_C189"), ("C189", "ILO_C189"), ("iccpr-op1", "ICCPR_OP1"), ("CRC", "CRC")],
    )
    def test_aliases(self, c: Commitments, alias: str, iid: str) -> None:
        assert c.instrument(alias).id == iid

    @pytest.mark.parametrize(
        ("citation", "iid", "articles"),
        [("ICRMW art. 22(3)", "ICRMW", "art. 22(3)"), ("CAT art. 3", "CAT", "art. 3"),
         ("1951 Convention art. 33", "REFUGEE_1951", "art. 33"), ("Trafficking Protocol arts. 6-7", "UNTOC_TIP", "arts. 6-7"),
         ("VCCR art. 36(1)(b)", "VCCR", "art. 36(1)(b)"), ("ILO C189 art. 9(c)", "ILO_C189", "art. 9(c)")],
    )
    def test_citations_split(self, c: Commitments, citation: str, iid: str, articles: str) -> None:
        inst, arts = c.split_citation(citation)
        assert (inst.id, arts) == (iid, articles)

    def test_errors_are_amparo_errors_with_exit_status_2(self, c: Commitments) -> None:
        for call in (lambda: c.resolve_state("Atlantis"), lambda: c.instrument("nope"), lambda: c.count("ICCPR", "2004/08/31")):
            with pytest.raises(AmparoError) as err:
                call()
            assert err.value.exit_code == 2
