"""calmdesk analyze / analyze-batch, called as functions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calmdesk.analysis._cli import analyze_batch_main, analyze_main


def test_analyze_text_card(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "m.txt"
    f.write_text("Third time I write!!! You charged me twice. I will kill you.", encoding="utf-8")
    assert analyze_main([str(f), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Escalation CRITICAL" in out
    assert "violence (high)" in out and "«I will kill you»" in out
    assert "[[" in out and "Root cause billing" in out


def test_analyze_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "m.txt"
    f.write_text("Dziękuję bardzo za pomoc!", encoding="utf-8")
    assert analyze_main([str(f), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["schema"] == "calmdesk.analysis/1" and d["language"] == "pl"


def test_analyze_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert analyze_main(["/nonexistent/x.txt"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_batch_csv_and_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,body\n1,"Where is my parcel?"\n2,"Убићу се."\n3,\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert analyze_batch_main([str(src), str(out), "--text-column", "body"]) == 0
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in recs] == ["1", "2", "3"]
    assert recs[1]["analysis"]["crisis"][0]["kind"] == "self_harm"
    assert recs[2]["analysis"]["length"] == 0  # empty text is analysed, not dropped
    cap = capsys.readouterr()
    assert "CRISIS signals in 1 message(s)" in cap.out and "msg/s" in cap.err
    src2 = tmp_path / "in.jsonl"
    src2.write_text('{"text": "hello"}\nnot json\n"just a string"\n', encoding="utf-8")
    out2 = tmp_path / "out2.jsonl"
    assert analyze_batch_main([str(src2), str(out2)]) == 0
    recs2 = [json.loads(x) for x in out2.read_text(encoding="utf-8").splitlines()]
    assert len(recs2) == 3 and "error" in recs2[1] and "analysis" in recs2[2]
