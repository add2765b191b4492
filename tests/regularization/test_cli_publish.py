"""`amparo programmes publish FILE` stores the document for its jurisdiction, once."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.cli import main
from amparo.regularization.models import ProgrammeVersion
from reg_support import ARG_PROGRAMME


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["amparo", "programmes", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


def test_publish_stores_the_document_once(fresh_engine, tmp_path, monkeypatch, capsys) -> None:
    path = tmp_path / "arg.yaml"
    path.write_text(ARG_PROGRAMME, encoding="utf-8")
    url = fresh_engine.url.render_as_string(hide_password=False)
    for _ in range(2):  # the second run finds the same document and adds nothing
        status, out, err = run(monkeypatch, capsys, "publish", str(path), "--url", url)
        assert status == 0, err
        assert "Published arg-test-2026 version 1 for ARG" in out
    with Session(fresh_engine) as session:
        rows = [(r.programme_id, r.version, r.document) for r in session.scalars(select(ProgrammeVersion))]
        session.rollback()
    assert rows == [("arg-test-2026", 1, ARG_PROGRAMME)]
    path.write_text(ARG_PROGRAMME.replace("appeal_period_days: 15", "appeal_period_days: 20"), encoding="utf-8")
    status, _, err = run(monkeypatch, capsys, "publish", str(path), "--url", url)
    assert status == 2 and "already published with other content" in err and "Traceback" not in err
