"""`tokenscam score` on chat exports: detection, output schema, summary, report, masking, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tokenscam.cli import EXIT_INPUT, EXIT_SOME_BAD, EXIT_STRICT, cli
from tokenscam.exports.scoring import OUTPUT_FIELDS

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def run(runner, *args):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_formats_lists_every_reader(runner) -> None:
    from tokenscam.exports import registry

    out = run(runner, "formats").output
    for name in registry.names():
        assert name in out
    assert "recognised by" in out


@pytest.mark.parametrize(
    ("fixture", "fmt"),
    [
        ("telegram-json/single_chat.json", "telegram-json"),
        ("memotrace-csv/张伟_utf8.csv", "memotrace-csv"),
        ("whatsapp-txt", "whatsapp-txt"),
        ("qq-txt", "qq-txt"),
        ("line-txt", "line-txt"),
        ("discord-json", "discord-json"),
    ],
)
def test_exports_are_detected_and_scored(runner, tmp_path, fixture, fmt) -> None:
    path = EXPORTS / fixture
    if path.is_dir():
        path = sorted(p for p in path.iterdir() if p.is_file())[0]
    out = tmp_path / "out.jsonl"
    r = run(runner, "score", "--input", path, "--output", out)
    assert r.exit_code in (0, EXIT_SOME_BAD), r.output
    assert f"{fmt}: read" in r.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rows and all(tuple(row) == OUTPUT_FIELDS for row in rows)
    assert all(row["source_format"] == fmt for row in rows)


def test_summary_and_report(runner, tmp_path) -> None:
    src = EXPORTS / "telegram-json" / "single_chat.json"
    summary, report = tmp_path / "s.json", tmp_path / "r.html"
    r = run(
        runner,
        "score",
        "--input",
        src,
        "--output",
        tmp_path / "o.csv",
        "--summary",
        summary,
        "--report",
        report,
    )
    assert r.exit_code == 0, r.output
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["counts"]["accounted"] and s["source_format"] == "telegram-json"
    assert (
        s["counts"]["read"]
        == s["counts"]["scored"] + s["counts"]["skipped_total"] + s["counts"]["bad"]
    )
    assert s["senders"] and {"sender_id", "handles", "expected_pitches"} <= set(s["senders"][0])
    assert report.read_text(encoding="utf-8").startswith("<!doctype html>")
    header = (tmp_path / "o.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(OUTPUT_FIELDS)


def test_plain_files_keep_their_contract(runner, fixtures, tmp_path) -> None:
    out = tmp_path / "o.jsonl"
    assert (
        run(runner, "score", "--input", fixtures / "messages.jsonl", "--output", out).exit_code == 0
    )
    row = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert "channel" in row and "source_format" not in row


def test_plain_table_with_a_sender_column_is_an_export(runner, fixtures, tmp_path) -> None:
    summary = tmp_path / "s.json"
    r = run(
        runner,
        "score",
        "--input",
        fixtures / "messages.csv",
        "--text-column",
        "content",
        "--sender-column",
        "author",
        "--output",
        tmp_path / "o.jsonl",
        "--summary",
        summary,
    )
    assert r.exit_code == 0, r.output
    senders = {s["sender"] for s in json.loads(summary.read_text(encoding="utf-8"))["senders"]}
    assert senders == {"张三", "李四", "王五"}


def test_mask_pii(runner, tmp_path) -> None:
    src = tmp_path / "chat.jsonl"
    src.write_text(
        json.dumps(
            {"text": "内部渠道三折出Token，加微信 tk_boss8888，电话 13800001234", "user": "甲"},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    out, summary = tmp_path / "o.jsonl", tmp_path / "s.json"
    r = run(
        runner,
        "score",
        "--input",
        src,
        "--format",
        "generic",
        "--sender-column",
        "user",
        "--mask-pii",
        "--output",
        out,
        "--summary",
        summary,
    )
    assert r.exit_code == 0, r.output
    written = out.read_text(encoding="utf-8") + summary.read_text(encoding="utf-8")
    assert "13800001234" not in written and "tk_boss8888" not in written


def test_truncated_export_scores_what_was_read_and_says_where(runner, tmp_path) -> None:
    out = tmp_path / "o.jsonl"
    r = run(
        runner,
        "score",
        "--input",
        EXPORTS / "qq-chat-exporter-json" / "truncated.json",
        "--output",
        out,
    )
    assert r.exit_code in (EXIT_INPUT, EXIT_SOME_BAD)
    assert "truncated.json" in r.output


def test_strict_stops_at_the_first_bad_record(runner, tmp_path) -> None:
    r = run(
        runner,
        "score",
        "--strict",
        "--input",
        EXPORTS / "telegram-json" / "bad_records.json",
        "--output",
        tmp_path / "o.jsonl",
    )
    assert r.exit_code == EXIT_STRICT and "bad_records.json:14" in r.output


def test_unknown_format_name_is_a_usage_error(runner, fixtures, tmp_path) -> None:
    r = run(
        runner,
        "score",
        "--input",
        fixtures / "messages.jsonl",
        "--format",
        "myspace",
        "--output",
        tmp_path / "o.jsonl",
    )
    assert r.exit_code == 2 and "tokenscam formats" in r.output


def test_bad_timezone(runner, tmp_path) -> None:
    r = run(
        runner,
        "score",
        "--input",
        EXPORTS / "telegram-json" / "single_chat.json",
        "--timezone",
        "Mars/Olympus",
        "--output",
        tmp_path / "o.jsonl",
    )
    assert r.exit_code == EXIT_INPUT and "time zone" in r.output
