"""Scoring on Spark (local mode): the same scores as the library, bad rows reported, never fatal.

One SparkSession (local[2], two shuffle partitions) serves the whole run; a spark-submit run
checks the command line as a cluster would start it. Needs the spark extra and Java 17+.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tokenscam import Detector, ModelIntegrityError
from tokenscam import spark as tspark
from tokenscam.cli import cli
from tokenscam.errors import InputError
from tokenscam.exports.summary import Summary
from tokenscam.handles import extract_handles

pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning"
)
BATCH = 500  # Arrow batch size in the tests: several batches per partition


@pytest.fixture(scope="session")
def spark():
    session = tspark.spark_session(
        "local[2]",
        "tokenscam-tests",
        {
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.sql.execution.arrow.maxRecordsPerBatch": str(BATCH),
        },
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def sample(corpus_rows) -> list[str]:
    """A few thousand of our own corpus messages, scams and negatives alike."""
    return [r.text for r in corpus_rows[::3]]


def _tactics(result) -> list[dict]:
    return [t.to_dict() for t in result.tactics]


def _row_tactics(value) -> list[dict]:
    return [
        {
            "name": t["name"],
            "label": t["label"],
            "evidence": [
                {"start": s["start"], "end": s["end"], "text": s["text"]} for s in t["evidence"]
            ],
        }
        for t in value
    ]


# --- scores ----------------------------------------------------------------------------------


def test_scores_equal_score_many_and_model_loads_once_per_worker(spark, sample, detector):
    assert len(sample) >= 3000
    df = spark.createDataFrame(list(enumerate(sample)), "id long, text string").repartition(2)
    loads = spark.sparkContext.accumulator(0)
    rows = tspark.score_dataframe(df, _loads=loads).collect()
    rows.sort(key=lambda r: r["id"])
    expected = detector.score_many(sample)
    assert [r["id"] for r in rows] == list(range(len(sample)))
    worst = max(abs(r["score"] - e.score) for r, e in zip(rows, expected, strict=True))
    assert worst <= 1e-9
    assert [r["verdict"] for r in rows] == [e.verdict for e in expected]
    assert [_row_tactics(r["tactics"]) for r in rows] == [_tactics(e) for e in expected]
    assert all(r["error"] is None for r in rows)
    assert {"pass", "block"} <= {r["verdict"] for r in rows}
    # len(sample) / 2 partitions / BATCH rows a batch: at least 3 batches per worker, yet the
    # model was loaded at most once by each of the (at most 2) Python workers.
    assert len(sample) / 2 / BATCH >= 3
    assert 1 <= loads.value <= 2


def test_worker_cache_loads_once_across_batches_and_tasks(monkeypatch, detector):
    card = tspark.find_card(None)
    sha = json.loads(card.read_text(encoding="utf-8"))["sha256"]
    monkeypatch.setattr(tspark.SparkFiles, "get", lambda name: str(card.parent))
    monkeypatch.setattr(tspark, "_DETECTORS", {})
    calls = []
    real_load = Detector.load.__func__

    def counting_load(cls, path=None):
        calls.append(path)
        return real_load(cls, path)

    monkeypatch.setattr(Detector, "load", classmethod(counting_load))
    model = tspark._ShippedModel("models", card.name, sha)
    kwargs = dict(
        model=model,
        text_field="text",
        text_col="text",
        bad_field=None,
        drop=(),
        review=None,
        block=None,
        max_chars=100,
    )
    batches = [pd.DataFrame({"text": ["内部渠道三折，加V详聊", "今天下雨"]}) for _ in range(4)]
    for _task in range(2):
        out = list(tspark._score_batches(iter(batches), **kwargs))
        assert len(out) == 4
    assert len(calls) == 1
    # A card that vouches for another SHA-256 than the driver verified is refused.
    monkeypatch.setattr(tspark, "_DETECTORS", {})
    with pytest.raises(ModelIntegrityError):
        list(
            tspark._score_batches(
                iter(batches), **{**kwargs, "model": model.__class__("models", card.name, "0" * 64)}
            )
        )


def test_tampered_model_is_refused_on_the_driver(spark, tmp_path):
    card = tspark.find_card(None)
    info = json.loads(card.read_text(encoding="utf-8"))
    shutil.copy(card, tmp_path / card.name)
    data = bytearray((card.parent / info["file"]).read_bytes())
    data[-10] ^= 0xFF
    (tmp_path / info["file"]).write_bytes(bytes(data))
    df = spark.createDataFrame([("内部渠道三折",)], "text string")
    with pytest.raises(ModelIntegrityError):
        tspark.score_dataframe(df, model_path=tmp_path / card.name)


# --- bad rows --------------------------------------------------------------------------------


def test_bad_rows_get_a_null_score_and_an_error(spark, detector):
    good = "我有内部渠道，词元三折出，转手就赚，加V详聊"
    texts = [good, None, "", "   ", "长" * 60, "今天下雨了"]
    df = spark.createDataFrame(list(enumerate(texts)), "id long, text string")
    rows = sorted(tspark.score_dataframe(df, max_chars=50).collect(), key=lambda r: r["id"])
    errors = [r["error"] for r in rows]
    assert errors[0] is None and errors[5] is None
    assert "missing" in errors[1]
    assert "empty" in errors[2] and "empty" in errors[3]
    assert "60 characters" in errors[4]
    for r in rows:
        assert (r["score"] is None) == (r["error"] is not None)
        assert (r["verdict"] is None) == (r["error"] is not None)
    assert abs(rows[0]["score"] - detector.score(good).score) <= 1e-9
    assert rows[0]["verdict"] == "block"
    assert rows[5]["verdict"] == "pass"


def test_non_string_text_is_reported_per_row(spark):
    # JSON read as VARIANT: strings are scored, other values reported.
    df = spark.createDataFrame(
        [(1, '"内部渠道三折，加V详聊"'), (2, "42"), (3, '["a"]'), (4, "null"), (5, None)],
        "id long, j string",
    ).selectExpr("id", "parse_json(j) AS text")
    rows = sorted(tspark.score_dataframe(df).collect(), key=lambda r: r["id"])
    assert rows[0]["error"] is None and rows[0]["score"] > 0.5
    assert rows[1]["error"] == "field 'text' is not a string (bigint)"
    assert rows[2]["error"] == "field 'text' is not a string (array<string>)"
    assert rows[3]["error"] == rows[4]["error"] == "field 'text' is missing"
    assert all(r["score"] is None for r in rows[1:])
    # A column of another type: nothing to score, and no failed job either.
    ints = spark.createDataFrame([(1, 7), (2, None)], "id long, text int")
    rows = sorted(tspark.score_dataframe(ints).collect(), key=lambda r: r["id"])
    assert rows[0]["error"] == "field 'text' is not a string (int)"
    assert rows[1]["error"] == "field 'text' is missing"


def test_a_failing_message_does_not_fail_its_batch(detector):
    class Flaky:
        """Fails on one message, as a bug in a rule might."""

        def score_many(self, texts, **kwargs):
            if any("炸" in t for t in texts):
                raise RuntimeError("boom")
            return detector.score_many(texts, **kwargs)

    pdf = pd.DataFrame(
        {
            "text": ["我有内部渠道，词元三折出，转手就赚，加V详聊", "炸了", "今天下雨"],
            "n": [1, 2, 3],
        }
    )
    out = tspark._score_frame(
        Flaky(),
        pdf,
        text_field="text",
        text_col="text",
        bad_field=None,
        drop=(),
        review=None,
        block=None,
        max_chars=100,
    )
    assert out["error"].tolist() == [None, "scoring failed: RuntimeError", None]
    assert pd.isna(out["score"][1]) and out["score"][0] > 0.5 and out["score"][2] < 0.5
    assert out["n"].tolist() == [1, 2, 3]


def test_columns_are_kept_and_results_replaced(spark):
    df = spark.createDataFrame(
        [(1, "今天下雨了", "old", 0.5, datetime(2026, 1, 1, 8, 0))],
        "id long, text string, verdict string, score double, at timestamp",
    )
    out = tspark.score_dataframe(df)
    assert out.columns == ["id", "text", "at", "score", "verdict", "tactics", "error"]
    row = out.first()
    assert row["verdict"] == "pass" and row["at"] == datetime(2026, 1, 1, 8, 0)
    with pytest.raises(InputError, match="no column 'content'"):
        tspark.score_dataframe(df, "content")


# --- the sender roll-up ----------------------------------------------------------------------


def test_sender_summary_matches_the_batch_summary(spark, corpus_rows):
    rows = corpus_rows[1::17][:600]
    data = []
    for i, r in enumerate(rows):
        sender = None if i % 41 == 0 else f"user{(i * 7) % 23}"
        when = f"2026-02-{1 + i % 28:02d}T{i % 24:02d}:15:00+08:00"
        data.append((i, sender, f"chat{i % 3}", when, r.text))
    data.append((len(data), "user1", "chat0", None, None))  # an error row: left out
    df = spark.createDataFrame(
        data, "id long, sender string, chat string, time string, text string"
    )
    scored = tspark.score_dataframe(df).cache()
    result = tspark.sender_summary(scored, "sender", "chat", time_col="time").collect()

    expected = Summary()
    for r in scored.collect():
        if r["score"] is None:
            continue
        flagged = r["verdict"] != "pass"
        expected.add(
            chat=r["chat"],
            sender_id=r["sender"] or "",
            sender=r["sender"] or "",
            source_format="test",
            timestamp=r["time"],
            score=r["score"],
            verdict=r["verdict"],
            tactics=[t["name"] for t in r["tactics"]],
            handles=extract_handles(r["text"]) if flagged else None,
        )
    ranked = expected.ranked()
    assert [r["sender"] for r in result] == [s.sender_id for s in ranked]
    assert "(unknown)" in [r["sender"] for r in result]
    assert sum(s.flagged for s in ranked) > 10  # the sample has scams in it
    for got, want in zip(result, ranked, strict=True):
        assert got["messages"] == want.messages
        assert got["flagged"] == want.flagged
        assert got["blocked"] == want.blocked
        assert abs(got["expected_pitches"] - want.score_sum) <= 1e-9
        assert abs(got["max_score"] - want.max_score) <= 1e-12
        assert abs(got["mean_score"] - want.score_sum / want.messages) <= 1e-9
        assert got["tactics"] == dict(want.tactics)
        assert got["chats"] == sorted(want.chats)
        assert {k: set(v) for k, v in got["handles"].items()} == {
            k: set(v) for k, v in want.handles.items()
        }
        # collect() gives naive local times; the batch summary keeps the offset.
        assert got["first"] == want.first.astimezone().replace(tzinfo=None)
        assert got["last"] == want.last.astimezone().replace(tzinfo=None)
    scored.unpersist()


# --- files and the command line --------------------------------------------------------------


def test_input_format_and_unreadable_input(spark, tmp_path):
    assert tspark.input_format("x.jsonl") == "jsonl"
    assert tspark.input_format("x.csv") == "csv"
    assert tspark.input_format(str(tmp_path)) == "parquet"
    with pytest.raises(InputError, match="--format"):
        tspark.input_format("x.bin")
    no_text = tmp_path / "no_text.jsonl"
    no_text.write_text('{"content": "今天下雨"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="no record has a field 'text'"):
        tspark.read_messages(spark, str(no_text), "jsonl")


def _outputs(out: Path) -> tuple[pd.DataFrame, dict]:
    scored = pd.read_parquet(out / "scored")
    counts = json.loads(next((out / "counts").glob("part-*")).read_text(encoding="utf-8"))
    return scored, counts


def test_cli_spark_score_jsonl_with_senders(spark, fixtures, tmp_path, detector):
    out = tmp_path / "out"
    args = [
        "spark-score",
        "--input",
        str(fixtures / "spark" / "messages.jsonl"),
        "--output",
        str(out),
        "--sender-column",
        "sender",
        "--chat-column",
        "chat",
        "--time-column",
        "time",
        "--master",
        "local[2]",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output  # finished, some rows have errors
    assert "read 12 rows: 7 scored" in result.stderr
    scored, counts = _outputs(out)
    assert counts["read"] == 12 and counts["scored"] == 7 and counts["errors"] == 5
    assert len(scored) == 12  # nothing read is dropped
    by_id = {int(r["id"]): r for r in scored.to_dict("records") if pd.notna(r["id"])}
    assert by_id[7]["error"] == "field 'text' is not a string (bigint)"
    assert by_id[7]["text"] == "42"
    assert by_id[8]["error"] == "field 'text' is missing" and pd.isna(by_id[8]["text"])
    assert by_id[9]["error"] == "field 'text' is empty"
    assert by_id[12]["error"] == "field 'text' is not a string (array<string>)"
    corrupt = scored[scored["_corrupt_record"].notna()]
    assert corrupt["error"].tolist() == ["not valid JSON"]
    assert corrupt["_corrupt_record"].tolist() == ["this line is not JSON"]
    assert abs(by_id[1]["score"] - detector.score(by_id[1]["text"]).score) <= 1e-9
    assert by_id[1]["verdict"] == "block" and by_id[5]["verdict"] == "pass"

    senders = pd.read_parquet(out / "senders")
    assert senders["sender"].tolist()[0] == "wx_lin"
    top = senders.iloc[0]
    assert top["messages"] == 3 and top["flagged"] == 3
    assert sorted(top["chats"]) == ["理财二群", "词元交流群"]
    assert "tk_77120" in dict(top["handles"])["wechat"]
    counts = [n for _, n in top["tactics"]]  # written most used first
    assert len(counts) >= 3 and counts == sorted(counts, reverse=True)
    assert "(unknown)" in senders["sender"].tolist()

    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 3 and "already exists" in again.stderr
    assert CliRunner().invoke(cli, [*args, "--overwrite"]).exit_code == 1


def test_cli_spark_score_csv(spark, fixtures, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["spark-score", "-i", str(fixtures / "spark" / "messages.csv"), "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    scored, counts = _outputs(out)
    assert counts["read"] == 4 and counts["errors"] == 1
    rows = {r["id"]: r for r in scored.to_dict("records")}
    assert rows["1"]["text"].startswith("第一行\n第二行") and rows["1"]["verdict"] == "pass"
    assert rows["2"]["verdict"] != "pass"
    assert rows["3"]["error"].startswith("malformed CSV record")
    assert rows["3"]["_corrupt_record"] == "3,c,只有一列,多出来的一列"
    assert rows["4"]["text"] == '他说的"保本保收益"当然是假的'


def test_cli_usage_and_input_errors(spark, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(
        cli, ["spark-score", "-i", str(tmp_path / "nope.parquet"), "-o", str(tmp_path / "o")]
    )
    assert missing.exit_code == 3 and "no such file" in missing.stderr
    usage = runner.invoke(
        cli, ["spark-score", "-i", "x.parquet", "-o", "o", "--chat-column", "chat"]
    )
    assert usage.exit_code == 2


def test_spark_submit_runs_the_command_line(tmp_path, sample):
    """As on a cluster: spark-submit starts the driver; tokenscam reads Parquet partitions."""
    submit = Path(sys.executable).parent / "spark-submit"
    if not submit.exists():
        found = shutil.which("spark-submit")
        assert found, "spark-submit comes with pyspark"
        submit = Path(found)
    src = tmp_path / "in"
    src.mkdir()
    for k in range(2):
        pd.DataFrame({"text": sample[k * 100 : (k + 1) * 100]}).to_parquet(
            src / f"part-{k}.parquet"
        )
    script = subprocess.run(
        [sys.executable, "-m", "tokenscam.spark_submit"], capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    proc = subprocess.run(
        [
            str(submit),
            "--master",
            "local[1]",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.driver.bindAddress=127.0.0.1",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            f"spark.pyspark.python={sys.executable}",
            "--conf",
            f"spark.pyspark.driver.python={sys.executable}",
            script,
            "spark-score",
            "--input",
            str(src),
            "--output",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # spark-submit merges the Python driver's stderr into its stdout.
    assert "read 200 rows: 200 scored" in proc.stdout + proc.stderr
    scored, counts = _outputs(tmp_path / "out")
    assert len(scored) == 200 and counts["errors"] == 0


def test_no_java_is_a_clear_error_not_a_traceback(tmp_path, fixtures):
    """Spark 4 needs Java 17+; a JAVA_HOME without one fails with exit code 6 and says so."""
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java"), "SPARK_LOCAL_IP": "127.0.0.1"}
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "tokenscam"),
            "spark-score",
            "-i",
            str(fixtures / "spark" / "messages.csv"),
            "-o",
            str(tmp_path / "out"),
            "--master",
            "local[1]",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 6, proc.stderr[-2000:]
    assert "Java 17 or later" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
