from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tokenscam.cli import EXIT_INPUT, EXIT_MODEL, EXIT_SOME_BAD, EXIT_STRICT, cli


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def run(runner, *args):
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_version(runner) -> None:
    from tokenscam import __version__

    r = run(runner, "--version")
    assert r.exit_code == 0 and __version__ in r.output


def test_commands_have_help(runner) -> None:
    for name, command in cli.commands.items():
        assert command.help, name
        assert run(runner, name, "--help").exit_code == 0
    assert "Exit codes" in run(runner, "score", "--help").output


def test_score_arguments_readable(runner) -> None:
    r = run(runner, "score", "现在不囤词元以后买不起，加薇信 tk_12345 私聊", "今天吃什么")
    assert r.exit_code == 0
    assert "⟦" in r.output and "制造紧迫/稀缺" in r.output
    assert "[PASS]" in r.output


def test_score_arguments_json(runner) -> None:
    r = run(runner, "score", "--json", "内部渠道三折出Token，加V私聊")
    d = json.loads(r.output)
    assert {"text", "score", "verdict", "tactics", "top_terms", "model_version"} <= set(d)


def test_jsonl_keeps_every_field(runner, fixtures, tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    r = run(runner, "score", "--input", str(fixtures / "messages.jsonl"), "--output", str(out))
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    src = [
        json.loads(x)
        for x in (fixtures / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(rows) == len(src)
    for a, b in zip(rows, src, strict=True):
        assert {k: a[k] for k in b} == b
        assert {"score", "verdict", "tactics"} <= set(a)
    assert rows[0]["verdict"] != "pass" and rows[1]["verdict"] == "pass"


def test_csv_with_text_column(runner, fixtures, tmp_path) -> None:
    out = tmp_path / "out.csv"
    r = run(
        runner,
        "score",
        "--input",
        str(fixtures / "messages.csv"),
        "--text-column",
        "content",
        "--output",
        str(out),
    )
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["id"] for row in rows] == ["1", "2", "3"]
    assert rows[1]["content"] == "周末去爬山吗，\n记得带水"
    assert set(rows[0]) == {"id", "content", "author", "score", "verdict", "tactics"}


def test_csv_without_the_column_is_a_clear_error(runner, fixtures, tmp_path) -> None:
    r = run(
        runner,
        "score",
        "--input",
        str(fixtures / "messages.csv"),
        "--output",
        str(tmp_path / "o.csv"),
    )
    assert r.exit_code == EXIT_INPUT
    assert "messages.csv:1" in r.output and "no column 'text'" in r.output and "content" in r.output


def test_ragged_csv_rows_are_reported(runner, fixtures, tmp_path) -> None:
    out = tmp_path / "o.jsonl"
    r = run(runner, "score", "--input", str(fixtures / "ragged.csv"), "--output", str(out))
    assert r.exit_code == EXIT_SOME_BAD
    assert "ragged.csv:3" in r.output and "ragged.csv:4" in r.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    assert "read 4 records: 2 scored, 2 malformed" in r.output


def test_txt_one_message_a_line(runner, fixtures, tmp_path) -> None:
    out = tmp_path / "o.jsonl"
    r = run(runner, "score", "--input", str(fixtures / "messages.txt"), "--output", str(out))
    assert r.exit_code == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["text"] for x in rows][1] == "今天下雨记得带伞"
    assert "1 blank" in r.output


def test_bad_jsonl_lines_are_reported_and_the_rest_scored(runner, fixtures, tmp_path) -> None:
    out = tmp_path / "o.jsonl"
    errors = tmp_path / "errors.jsonl"
    r = run(
        runner,
        "score",
        "--input",
        str(fixtures / "bad.jsonl"),
        "--output",
        str(out),
        "--errors",
        str(errors),
    )
    assert r.exit_code == EXIT_SOME_BAD
    scored = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in scored] == [1, 7]
    errs = [json.loads(x) for x in errors.read_text(encoding="utf-8").splitlines()]
    assert [e["line"] for e in errs] == [2, 3, 4, 5, 6]
    assert "bad.jsonl:2: not valid JSON" in r.output
    assert "read 7 records: 2 scored, 5 malformed" in r.output


def test_invalid_utf8_line(runner, fixtures, tmp_path) -> None:
    out = tmp_path / "o.jsonl"
    r = run(runner, "score", "--input", str(fixtures / "bad_utf8.jsonl"), "--output", str(out))
    assert r.exit_code == EXIT_SOME_BAD
    assert "bad_utf8.jsonl:2: invalid UTF-8" in r.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_strict_stops_at_the_first_bad_record(runner, fixtures, tmp_path) -> None:
    r = run(
        runner,
        "score",
        "--strict",
        "--input",
        str(fixtures / "bad.jsonl"),
        "--output",
        str(tmp_path / "o.jsonl"),
    )
    assert r.exit_code == EXIT_STRICT and "bad.jsonl:2" in r.output


@pytest.mark.parametrize(
    ("name", "message"),
    [("binary.jsonl", "binary"), ("missing.jsonl", "no such file"), (".", "directory")],
)
def test_unreadable_inputs(runner, fixtures, tmp_path, name, message) -> None:
    path = fixtures / name if name != "." else tmp_path
    r = run(runner, "score", "--input", str(path), "--output", str(tmp_path / "o.jsonl"))
    assert r.exit_code == EXIT_INPUT and message in r.output


def test_empty_file(runner, tmp_path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    r = run(runner, "score", "--input", str(empty), "--output", str(tmp_path / "o.jsonl"))
    assert r.exit_code == 0 and "read 0 records" in r.output


def test_unknown_extension_needs_format(runner, fixtures, tmp_path) -> None:
    odd = tmp_path / "msgs.dat"
    shutil.copy(fixtures / "messages.txt", odd)
    r = run(runner, "score", "--input", str(odd), "--output", str(tmp_path / "o.jsonl"))
    assert r.exit_code == EXIT_INPUT and "--format" in r.output
    assert (
        run(
            runner,
            "score",
            "--input",
            str(odd),
            "--format",
            "txt",
            "--output",
            str(tmp_path / "o.jsonl"),
        ).exit_code
        == 0
    )


def test_usage_errors(runner) -> None:
    assert run(runner, "score").exit_code == 2
    assert run(runner, "score", "--review", "0.9", "--block", "0.1", "x").exit_code == 2


def test_model_errors_have_their_own_exit_code(runner, tmp_path) -> None:
    r = run(runner, "score", "--model", str(tmp_path / "nope.json"), "x")
    assert r.exit_code == EXIT_MODEL and "does not exist" in r.output


def test_stdin_to_stdout_through_a_real_process(fixtures) -> None:
    data = (fixtures / "messages.jsonl").read_bytes()
    p = subprocess.run(
        [sys.executable, "-m", "tokenscam", "score", "--input", "-", "--output", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    rows = [json.loads(x) for x in p.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 5 and all("verdict" in x for x in rows)
    assert b"5 scored" in p.stderr


def test_parallel_and_serial_agree(runner, fixtures, tmp_path) -> None:
    src = tmp_path / "big.jsonl"
    lines = (fixtures / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    src.write_text("\n".join(lines * 2000) + "\n", encoding="utf-8")
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run(runner, "score", "-j", "1", "--input", str(src), "--output", str(a)).exit_code == 0
    assert run(runner, "score", "-j", "2", "--input", str(src), "--output", str(b)).exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def test_eval_reports_per_kind_and_source(runner, fixtures, tmp_path) -> None:
    out = tmp_path / "metrics.json"
    r = run(runner, "eval", "--data", str(fixtures / "labelled.jsonl"), "--json", str(out))
    assert r.exit_code == 0, r.output
    assert "labelled.jsonl:6" in r.output  # the malformed line is reported, not fatal
    for word in ("precision", "recall", "pr_auc", "roc_auc", "brier", "false_pos"):
        assert word in r.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["by_kind"]) == {"scam", "ordinary", "hard_negative", "other_fraud"}
    assert set(report["by_source"]) == {"fixture-a", "fixture-b", "fixture-c"}
    assert report["overall"]["n"] == 4
    assert (
        report["by_kind"]["other_fraud"]["n"] == 1
        and "flagged_share" in report["by_kind"]["other_fraud"]
    )


def test_eval_needs_data(runner) -> None:
    assert run(runner, "eval").exit_code == 2
