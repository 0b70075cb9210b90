"""``calmdesk import``: summary, progress output, exit codes, the batch analysis after it."""

from __future__ import annotations

import io

import pytest

from calmdesk.cli import main
from calmdesk.imports.progress import ProgressBar
from calmdesk.reports.models import MessageFact
from tests.imports.conftest import DATA

pytestmark = pytest.mark.django_db


def cli(capsys, *args):
    code = main(["import", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_prints_a_summary_and_analyses(world, capsys):
    code, out, err = cli(capsys, DATA / "history.csv", "--org", "north")
    assert code == 0, err
    assert "import: history.csv (csv, source 'csv') into north" in out
    assert "imported: 15 (clients 4, cases 4, messages 7)" in out
    assert "skipped as duplicates: 0" in out and "failed: 0" in out
    assert "crisis signals: 0 alerted (recent messages), 1 found in history" in out
    # the batch analysis ran over the imported client messages
    inbound = 5
    assert f"analysis: {inbound} message(s) analysed" in out
    assert MessageFact.objects.count() == inbound
    # stderr is not a terminal here: progress comes as plain lines
    assert "import history.csv: 7/7 (100%)" in err
    assert "\r" not in err
    code, out, _ = cli(capsys, DATA / "history.csv", "--org", "north")
    assert code == 0
    assert "imported: 0 (clients 0, cases 0, messages 0)" in out
    assert "skipped as duplicates: 15" in out
    assert "analysis: 0 message(s) analysed" in out


def test_failed_records_give_exit_3_with_reasons(world, capsys):
    code, out, _ = cli(capsys, DATA / "zendesk_tickets.ndjson", "--org", "north", "--no-analysis")
    assert code == 3
    assert "failed: 4" in out
    assert "line 4 zendesk:message:90022: occurred_at lies in the future." in out
    assert "line 5: ticket 9003: requester_id is missing" in out
    assert "analysis:" not in out


def test_notes_without_author_are_skipped_with_a_reason(world, capsys, tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text(
        '{"type": "client", "id": "a", "name": "A"}\n'
        '{"type": "case", "id": "c", "client": "a", "subject": "S"}\n'
        '{"type": "message", "id": "n", "case": "c", "direction": "note", '
        '"occurred_at": "2022-01-01T00:00:00Z", "text": "internal", "author": "nobody"}\n',
        encoding="utf-8",
    )
    code, out, _ = cli(capsys, path, "--org", "north", "--no-analysis")
    assert code == 0
    assert "1 x internal note without a known author (pass --author USERNAME)" in out
    path2 = tmp_path / "notes2.jsonl"
    path2.write_text(path.read_text().replace('"id": "n"', '"id": "n2"'), encoding="utf-8")
    code, out, _ = cli(capsys, path2, "--org", "north", "--author", "agent1", "--no-analysis")
    assert code == 0 and "messages 1)" in out


def test_dry_run_says_so(world, capsys):
    code, out, _ = cli(capsys, DATA / "history.jsonl", "--org", "north", "--dry-run")
    assert code == 0
    assert out.startswith("dry run (nothing was changed): history.jsonl (jsonl")
    assert "analysis:" not in out


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["missing.csv", "--org", "north"], 1, "no such file"),
        ([DATA / "history.csv", "--org", "nope"], 1, "no organization 'nope' (known: north)"),
        ([DATA / "history.csv", "--org", "north", "--team", "x"], 1, "no team 'x' in north"),
        ([DATA / "history.csv", "--org", "north", "--author", "x"], 1, "no user 'x' in north"),
        ([DATA / "history.csv", "--org", "north", "--batch", "0"], 2, "--batch must be"),
        ([DATA / "history.csv", "--org", "north", "--timezone", "Mars/Base"], 1, "time zone"),
    ],
)
def test_errors_are_one_line(world, capsys, args, code, message):
    got, _out, err = cli(capsys, *args)
    assert got == code
    lines = [line for line in err.splitlines() if line.startswith("calmdesk: error:")]
    assert len(lines) == 1 and message in lines[0], err


def test_unknown_format_is_a_usage_error(world, capsys, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n", encoding="utf-8")
    got, _, err = cli(capsys, path, "--org", "north")
    assert got == 2 and "pass --format" in err


def test_several_teams_need_team(world, capsys):
    from calmdesk.desk.actions.organizations import do_create_team

    do_create_team(None, world.org, "Beta desk", slug="beta")
    got, _, err = cli(capsys, DATA / "history.csv", "--org", "north")
    assert got == 1 and "pass --team (known: alpha, beta)" in err
    got, _, _ = cli(
        capsys, DATA / "history.csv", "--org", "north", "--team", "beta", "--no-analysis"
    )
    assert got == 0


def test_a_crash_exits_1_and_the_next_run_continues(world, capsys, monkeypatch):
    from calmdesk.imports import importer

    original = importer._Importer.record
    state = {"n": 0}

    def flaky(self, record, key):
        state["n"] += 1
        if state["n"] == 9:
            raise OSError("database went away")
        return original(self, record, key)

    monkeypatch.setattr(importer._Importer, "record", flaky)
    code, _, err = cli(capsys, DATA / "history.csv", "--org", "north", "--batch", "2")
    assert code == 1
    assert (
        "import stopped after 2 of 7 items: OSError: database went away; run the same "
        "command again to continue" in err
    )
    monkeypatch.setattr(importer._Importer, "record", original)
    code, out, _ = cli(capsys, DATA / "history.csv", "--org", "north", "--no-analysis")
    assert code == 0
    assert "items in the file: 7, resumed after 2" in out
    assert "imported: 15 (clients 4, cases 4, messages 7)" in out


def test_progress_bar_on_a_terminal_and_in_a_log():
    tty = io.StringIO()
    bar = ProgressBar("import x", tty, tty=True)
    for done in range(0, 101):
        bar(done, 100)
    bar.close()
    text = tty.getvalue()
    assert text.startswith("\rimport x [") and text.endswith("] 100% 100/100\n")
    assert "#" * 30 in text
    log = io.StringIO()
    bar = ProgressBar("import x", log, tty=False)
    for done in range(0, 1001):
        bar(done, 1000)
    bar.close()
    lines = log.getvalue().splitlines()
    assert lines[0] == "import x: 0/1000 (0%)" and lines[-1] == "import x: 1000/1000 (100%)"
    assert len(lines) == 11
    empty = io.StringIO()
    ProgressBar("e", empty, tty=False)(0, 0)
    assert empty.getvalue() == "e: 0/0 (100%)\n"
