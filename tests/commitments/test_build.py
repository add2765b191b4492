"""Building the shipped data: deterministic, complete name mapping, faithful to the sources."""

from __future__ import annotations

import csv
import datetime
import json
import re
import shutil
from pathlib import Path

import pytest

from amparo.commitments import DATA_DIR, load
from amparo.commitments.build import build, catalogue_json
from amparo.commitments.catalogue import load_catalogue
from amparo.commitments.engine import Commitments
from amparo.commitments.names import SOURCE_SPELLINGS, SPECIAL_PARTICIPANTS, code_for_source_name
from amparo.commitments.rules import entry_into_force
from amparo.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures"
#: Rows whose stated entry into force is not the rule's distance from the stated ratification date.
#: Germany: ratification 2012-09-20 but in force 2014-09-20; Madagascar: ratified and "in force"
#: the same day, 2019-06-11. Both contradict the 12-month rule of C189 art. 21(3).
SELF_CONTRADICTING = {"ILO_C189": {"Deutschland", "Madagaskar"}}
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}


@pytest.fixture(scope="module")
def mini_catalogue():
    return load_catalogue(FIXTURES / "mini_catalogue.yaml")


def _engine_from(text: str, catalogue) -> Commitments:
    rows = json.loads(catalogue_json(catalogue))["instruments"]
    return Commitments(rows, json.loads(text))


class TestShippedData:
    @pytest.mark.shared_data
    def test_rebuild_is_byte_identical(self, shared_data: Path) -> None:
        source = shared_data / "ratifications"
        assert build(source) == (DATA_DIR / "participation.json").read_text(encoding="utf-8")

    def test_catalogue_json_matches_the_yaml(self) -> None:
        assert catalogue_json() == (DATA_DIR / "catalogue.json").read_text(encoding="utf-8")

    @pytest.mark.shared_data
    def test_every_name_in_the_csvs_maps_to_a_code(self, shared_data: Path) -> None:
        unmapped = []
        for path in sorted((shared_data / "ratifications").glob("*.csv")):
            with path.open(encoding="utf-8") as handle:
                for line, row in enumerate(csv.DictReader(handle), start=2):
                    if code_for_source_name(row["state"]) is None:
                        unmapped.append(f"{path.name}:{line} {row['state']!r}")
        assert unmapped == []

    @pytest.mark.shared_data
    def test_source_eif_dates_agree_with_the_rule(self, shared_data: Path) -> None:
        """Where a source states a State's entry into force, the catalogue rule gives the same date."""
        catalogue = load_catalogue()
        checked = 0
        conflicts = []
        for path in sorted((shared_data / "ratifications").glob("ILO_*.csv")):
            inst = catalogue.by_id[path.stem]
            with path.open(encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    stated = re.search(r"per source: (\d{4}-\d{2}-\d{2})", row["action"])
                    announced = re.search(r"enter into force for .+ on (\d{1,2}) (\w{3}) (\d{4})", row["action"])
                    if not (stated or announced) or len(row["action_date"]) != 10:
                        continue
                    if stated:
                        expected = datetime.date.fromisoformat(stated.group(1))
                    else:
                        assert announced is not None
                        expected = datetime.date(int(announced.group(3)), _MONTHS[announced.group(2)], int(announced.group(1)))
                    deposit = datetime.date.fromisoformat(row["action_date"])
                    by_rule = max(entry_into_force(inst.eif_rule, deposit), inst.entry_into_force)
                    if row["state"] in SELF_CONTRADICTING.get(path.stem, {}):
                        assert by_rule != expected
                        conflicts.append((path.stem, row["state"], min(by_rule, expected), max(by_rule, expected)))
                    else:
                        assert by_rule == expected, row["state"]
                    checked += 1
        assert checked >= 30
        # Where the source contradicts itself, the engine is sure only from the later date.
        engine = load()
        for iid, name, early, late in conflicts:
            code = code_for_source_name(name)
            assert engine.status(code, iid, early).status == "unknown"
            assert engine.status(code, iid, late - datetime.timedelta(days=1)).status == "unknown"
            assert engine.status(code, iid, late).status == "binding"

    def test_special_participants_are_kept(self) -> None:
        data = json.loads((DATA_DIR / "participation.json").read_text(encoding="utf-8"))
        present = {p["state"] for block in data["instruments"].values() for p in block["participants"]}
        assert {"EUU", "VAT", "PSE", "COK", "NIU"} <= present
        states = {row[0]: row for row in data["states"]}
        for code, (name, _kind) in SPECIAL_PARTICIPANTS.items():
            assert states[code][2] == name

    @pytest.mark.shared_data
    def test_cli_rebuild_into_a_temp_dir_matches(self, shared_data: Path, tmp_path: Path) -> None:
        from typer.testing import CliRunner

        from amparo.cli import app

        result = CliRunner().invoke(app, ["treaties", "build-data", "--source", str(shared_data / "ratifications"), "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
        for name in ("catalogue.json", "participation.json"):
            assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes()


class TestAliasTable:
    @pytest.mark.parametrize(
        ("spelling", "code"),
        [("Bolivia (Plurinational State of)", "BOL"), ("Türkiye", "TUR"), ("Netherlands (Kingdom of the)", "NLD"),
         ("Bahamas (The)", "BHS"), ("Côte d'Ivoire", "CIV"), ("State of Palestine", "PSE"), ("Holy See", "VAT"),
         ("Democratic People's Republic of Korea", "PRK"), ("Republic of Korea", "KOR"),
         ("Democratic Republic of the Congo", "COD"), ("Congo", "COG"), ("Niger", "NER"), ("Nigeria", "NGA"),
         ("European Union", "EUU"), ("Guinea - Bissau", "GNB"), ("Südafrika", "ZAF"), ("Algérie", "DZA")],
    )
    def test_spellings(self, spelling: str, code: str) -> None:
        assert code_for_source_name(spelling) == code

    def test_table_never_contradicts_pycountry(self) -> None:
        import pycountry

        for spelling, code in SOURCE_SPELLINGS.items():
            try:
                iso = pycountry.countries.lookup(spelling).alpha_3
            except LookupError:
                continue
            assert iso == code, spelling

    def test_every_code_in_the_table_is_in_the_shipped_states(self) -> None:
        data = json.loads((DATA_DIR / "participation.json").read_text(encoding="utf-8"))
        codes = {row[0] for row in data["states"]}
        assert set(SOURCE_SPELLINGS.values()) <= codes


class TestBuildFromFixtures:
    def test_builds_and_answers(self, mini_catalogue) -> None:
        engine = _engine_from(build(FIXTURES / "csv_good", mini_catalogue), mini_catalogue)
        assert engine.status("ARG", "ICRMW", "2007-06-01").status == "binding"
        assert engine.status("TUR", "ICRMW", "2005-01-01").status == "binding"
        assert engine.status("ARM", "ICRMW", "2020-01-01").status == "not_binding"
        assert engine.count("ICRMW", "2026-02-03").count == 3

    def test_events_are_applied(self, mini_catalogue) -> None:
        engine = _engine_from(build(FIXTURES / "csv_good", mini_catalogue), mini_catalogue)
        # Jamaica: the source gives no effective date; the catalogue's rule (3 months) does.
        assert engine.status("JAM", "ICCPR_OP1", "1998-01-22").status == "binding"
        jam = engine.status("JAM", "ICCPR_OP1", "1998-01-23")
        assert jam.status == "not_binding" and "under ICCPR-OP1 art. 12(1)" in jam.reason
        # Guyana: the accession named in the end note is restored, and the re-accession follows it.
        assert engine.status("GUY", "ICCPR_OP1", "1993-08-10").status == "binding"
        assert engine.status("GUY", "ICCPR_OP1", "1999-04-05").status == "binding"
        assert engine.count("ICCPR_OP1", "1998-01-22").count == 2
        assert engine.count("ICCPR_OP1", "1998-01-23").count == 1

    def test_denunciation_without_date_or_rule_is_refused(self, tmp_path: Path) -> None:
        text = (FIXTURES / "mini_catalogue.yaml").read_text(encoding="utf-8")
        text = text.replace("  denunciation_rule: {kind: months_after_notification, months: 3}\n", "")
        (tmp_path / "catalogue.yaml").write_text(text, encoding="utf-8")
        with pytest.raises(DataError) as err:
            build(FIXTURES / "csv_good", load_catalogue(tmp_path / "catalogue.yaml"))
        assert "events.csv line 2" in err.value.message and "no denunciation rule" in err.value.message

    def test_is_deterministic_whatever_the_row_order(self, tmp_path: Path) -> None:
        catalogue = load_catalogue(FIXTURES / "mini_catalogue.yaml")
        for name in ("ICRMW.csv", "ICCPR_OP1.csv"):
            lines = (FIXTURES / "csv_good" / name).read_text(encoding="utf-8").splitlines()
            (tmp_path / name).write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
        assert build(tmp_path, catalogue) == build(tmp_path, catalogue)
        shutil.copy(FIXTURES / "csv_good" / "ICRMW.csv", tmp_path / "ICRMW.csv")
        forward = build(tmp_path, catalogue)
        lines = (FIXTURES / "csv_good" / "ICRMW.csv").read_text(encoding="utf-8").splitlines()
        (tmp_path / "ICRMW.csv").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
        assert build(tmp_path, catalogue) == forward


def _write(tmp_path: Path, icrmw_rows: list[str]) -> Path:
    header = "instrument,state,signature_date,action,action_date,source,status_as_at"
    (tmp_path / "ICRMW.csv").write_text("\n".join([header, *icrmw_rows]) + "\n", encoding="utf-8")
    shutil.copy(FIXTURES / "csv_good" / "ICCPR_OP1.csv", tmp_path / "ICCPR_OP1.csv")
    return tmp_path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("ICRMW,Atlantis,,accession,2000-01-01,s,2026-02-03", "ICRMW.csv line 2: participant 'Atlantis' maps to no ISO 3166-1 code"),
        ("ICRMW,Argentina,,ratification,23/02/2007,s,2026-02-03", "ICRMW.csv line 2: action_date '23/02/2007' is not a date; expected YYYY-MM-DD"),
        ("ICRMW,Argentina,,ratified,2007-02-23,s,2026-02-03", "ICRMW.csv line 2: action 'ratified' is not one of"),
        ("ICRMW,Argentina,,ratification,,s,2026-02-03", "ICRMW.csv line 2: action 'ratification' has no action_date"),
        ("ICRMW,Argentina,,ratification,2007-02-23,s,sometime", "ICRMW.csv line 2: status_as_at 'sometime' holds no date"),
        ("ICCPR,Argentina,,ratification,2007-02-23,s,2026-02-03", "ICRMW.csv line 2: instrument 'ICCPR' in the file for ICRMW"),
    ],
)
def test_malformed_rows_are_refused_with_file_and_line(tmp_path: Path, mini_catalogue, row: str, message: str) -> None:
    with pytest.raises(DataError) as err:
        build(_write(tmp_path, [row]), mini_catalogue)
    assert message in err.value.message


def test_a_state_twice_is_refused(tmp_path: Path, mini_catalogue) -> None:
    rows = ["ICRMW,Argentina,,ratification,2007-02-23,s,2026-02-03", "ICRMW,ARGENTINA,,ratification,2007-02-23,s,2026-02-03"]
    with pytest.raises(DataError) as err:
        build(_write(tmp_path, rows), mini_catalogue)
    assert "line 3" in err.value.message and "appears twice" in err.value.message


def test_a_missing_instrument_file_is_refused(tmp_path: Path, mini_catalogue) -> None:
    shutil.copy(FIXTURES / "csv_good" / "ICRMW.csv", tmp_path / "ICRMW.csv")
    with pytest.raises(DataError) as err:
        build(tmp_path, mini_catalogue)
    assert "ICCPR_OP1.csv" in err.value.message and "missing" in err.value.message


def test_a_denunciation_of_nothing_is_refused(tmp_path: Path, mini_catalogue) -> None:
    for name in ("ICRMW.csv", "ICCPR_OP1.csv"):
        shutil.copy(FIXTURES / "csv_good" / name, tmp_path / name)
    (tmp_path / "events.csv").write_text(
        "instrument,state,event,notified_date,effective_date,detail,source\n"
        "ICCPR_OP1,Albania,denunciation,2000-01-01,2000-04-01,denounced before it acceded,fixture\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        build(tmp_path, mini_catalogue)
    assert "'Albania' (ALB) denounced on 2000-01-01 but no earlier" in err.value.message


#: Where an older snapshot and today's pages disagree, and why. CRC 2015: South Sudan acceded on
#: 2015-01-23, so that scrape predates its nominal date; ICERD: today's page dates Iraq's
#: ratification 1970-02-13, the 2015 scrape 1970-01-14 (today's page is the source Amparo ships).
SNAPSHOT_DIFFERENCES = {
    "CRC_2015-03-14_zmjones-untreaties.csv": {"only_now": {"SSD"}, "dates": set()},
    "ICERD_2015-03-14_zmjones-untreaties.csv": {"only_now": set(), "dates": {"IRQ"}},
}


@pytest.mark.shared_data
def test_history_agrees_with_older_snapshots(shared_data: Path) -> None:
    """Parties on each older snapshot's date, computed from today's data, are the snapshot's parties."""
    engine = load()
    snapshots = sorted((shared_data / "ratifications" / "older_snapshots").glob("*.csv"))
    assert snapshots
    for path in snapshots:
        match = re.match(r"(.+?)_(\d{4}-\d{2}-\d{2})_", path.name)
        assert match, path.name
        instrument, day = match.group(1), datetime.date.fromisoformat(match.group(2))
        with path.open(encoding="utf-8") as handle:
            then = {
                code_for_source_name(row["state"]): row["action_date"]
                for row in csv.DictReader(handle)
                if row["action_date"] and not row["action"].startswith("signature")
            }
        now = {p.state: str(p.deposited) for p in engine.parties(instrument, day).parties}
        known = SNAPSHOT_DIFFERENCES.get(path.name, {"only_now": set(), "dates": set()})
        assert set(then) - set(now) == set(), path.name
        assert set(now) - set(then) == known["only_now"], path.name
        assert {code for code in set(now) & set(then) if now[code] != then[code]} == known["dates"], path.name
