"""Scoring on Apache Spark: the same detector, run by the engine a platform already operates.

The model is verified and loaded on the driver first (a bad artifact fails the job before any task
runs), then shipped to the executors once through ``SparkContext.addFile`` under a name that
carries its SHA-256. Each Python worker verifies it again — the card it received must vouch for
the SHA-256 the driver saw, and :func:`tokenscam.artifact.load_artifact` checks the joblib against
the card — and keeps it in a module-level cache keyed by path and SHA-256, so a model is loaded
once per worker process (Spark reuses workers across tasks), not once per batch. Whole Arrow
batches go to :meth:`tokenscam.Detector.score_many`, whose n-gram scoring is vectorised in numpy.

A row whose text cannot be scored (null, empty, too long, not a string, an unreadable record)
gets a null score and says why in ``error``; it never fails the job.

Needs the ``spark`` extra (``pip install 'tokenscam[spark]'``: pyspark and pyarrow) and Java 17
or later on every machine that runs Spark.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

try:
    from py4j.protocol import Py4JError
    from pyspark import SparkFiles
    from pyspark.errors import AnalysisException, PySparkException
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError as exc:  # pragma: no cover - the extra is installed wherever tests run
    raise ImportError(
        "tokenscam.spark needs pyspark and pyarrow: pip install 'tokenscam[spark]' "
        "(and Java 17 or later)"
    ) from exc

from .artifact import find_card
from .batch import DEFAULT_MAX_CHARS
from .detector import Detector, Result
from .errors import InputError, ModelIntegrityError, TokenscamError
from .handles import extract_handles

__all__ = [
    "INPUT_FORMATS",
    "RESULT_COLUMNS",
    "SparkError",
    "TACTICS_TYPE",
    "input_format",
    "read_messages",
    "score_dataframe",
    "score_path",
    "sender_summary",
    "spark_session",
]

INPUT_FORMATS = ("parquet", "jsonl", "csv")
RESULT_COLUMNS = ("score", "verdict", "tactics", "error")
# Spark's own name for the raw text of a record its JSON or CSV reader could not parse.
CORRUPT_RECORD = "_corrupt_record"
INPUT_ERROR = "input_error"

SPAN_TYPE = T.StructType(
    [
        T.StructField("start", T.IntegerType()),
        T.StructField("end", T.IntegerType()),
        T.StructField("text", T.StringType()),
    ]
)
TACTICS_TYPE = T.ArrayType(
    T.StructType(
        [
            T.StructField("name", T.StringType()),
            T.StructField("label", T.StringType()),
            T.StructField("evidence", T.ArrayType(SPAN_TYPE)),
        ]
    )
)
_RESULT_FIELDS = [
    T.StructField("score", T.DoubleType()),
    T.StructField("verdict", T.StringType()),
    T.StructField("tactics", TACTICS_TYPE),
    T.StructField("error", T.StringType()),
]
# Helper columns that carry the text to score, and errors found before scoring, to the workers.
_TEXT = "__tokenscam_text"
_BAD = "__tokenscam_bad"


class SparkError(TokenscamError):
    """Spark could not run: no Java 17+, or the engine refused the job."""


# --- the session -----------------------------------------------------------------------------


def spark_session(
    master: str | None = None, app_name: str = "tokenscam", conf: dict[str, str] | None = None
) -> SparkSession:
    """The running session, the one spark-submit configured, or a new local one.

    Under spark-submit the master comes from spark-submit unless ``master`` is given; otherwise it
    defaults to ``local[*]``. A local session binds to the loopback address only, has no web UI,
    and runs its Python workers with this interpreter, so they import this tokenscam.
    """
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ
    if master is None and not submitted:
        master = "local[*]"
    builder = SparkSession.builder.appName(app_name).config("spark.ui.showConsoleProgress", "false")
    if master is not None:
        builder = builder.master(master)
    if master is not None and master.startswith("local"):
        if not submitted:
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
        )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except PySparkException as exc:
        raise SparkError(
            f"Spark did not start ({exc}); it needs Java 17 or later: set JAVA_HOME or put "
            "`java` on PATH"
        ) from exc
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# --- shipping the model ----------------------------------------------------------------------


@dataclass(frozen=True)
class _ShippedModel:
    """What a task needs to find and verify the model the driver registered with SparkFiles."""

    name: str  # the directory's name in SparkFiles: tokenscam-model-<sha prefix>
    card: str  # the model card's file name inside it
    sha256: str  # the joblib's SHA-256, as verified on the driver


# Per process: detectors by (card path, SHA-256). On a worker this is what makes a model load
# once per Python worker rather than once per batch or task.
_DETECTORS: dict[tuple[str, str], Detector] = {}
_SHIPPED: dict[tuple[str, str], _ShippedModel] = {}
_STAGING: list[Path] = []
LOADS = {"count": 0}  # models loaded by this process (what the load-once tests count)


def _cached_detector(card_path: Path, sha256: str) -> Detector:
    key = (str(card_path), sha256)
    detector = _DETECTORS.get(key)
    if detector is None:
        detector = Detector.load(card_path)
        if detector.card.get("sha256") != sha256:
            raise ModelIntegrityError(
                f"{card_path}: the model card vouches for SHA-256 {detector.card.get('sha256')}, "
                f"the driver verified {sha256}; refusing to score with it"
            )
        _DETECTORS[key] = detector
        LOADS["count"] += 1
    return detector


def _ship_model(
    spark: SparkSession, model_path: str | Path | None
) -> tuple[_ShippedModel, Detector]:
    """Verify and load the model on the driver, then register it with SparkFiles once per app."""
    card_path = find_card(model_path).resolve()
    card = json.loads(card_path.read_text(encoding="utf-8"))
    detector = _cached_detector(card_path, str(card.get("sha256")))
    sha = str(detector.card["sha256"])
    sc = spark.sparkContext
    key = (sc.applicationId, sha)
    shipped = _SHIPPED.get(key)
    if shipped is None:
        name = f"tokenscam-model-{sha[:16]}"
        stage = Path(tempfile.mkdtemp(prefix="tokenscam-spark-")) / name
        stage.mkdir()
        _STAGING.append(stage.parent)
        for src in (card_path, card_path.parent / str(detector.card["file"])):
            try:
                os.link(src, stage / src.name)
            except OSError:
                shutil.copyfile(src, stage / src.name)
        sc.addFile(str(stage), recursive=True)
        shipped = _SHIPPED[key] = _ShippedModel(name, card_path.name, sha)
    return shipped, detector


@atexit.register
def _remove_staging() -> None:
    for path in _STAGING:
        shutil.rmtree(path, ignore_errors=True)


def _worker_detector(model: _ShippedModel) -> Detector:
    card_path = Path(SparkFiles.get(model.name)) / model.card
    return _cached_detector(card_path, model.sha256)


# --- scoring ---------------------------------------------------------------------------------


def _tactics_value(result: Result) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "label": t.label,
            "evidence": [{"start": s.start, "end": s.end, "text": s.text} for s in t.evidence],
        }
        for t in result.tactics
    ]


def _text_problem(value: Any, text_col: str, max_chars: int) -> str | None:
    if isinstance(value, str):
        if not value.strip():
            return f"field {text_col!r} is empty"
        if len(value) > max_chars:
            return f"text has {len(value)} characters, more than max_chars {max_chars}"
        return None
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return f"field {text_col!r} is missing"
    return f"field {text_col!r} is not a string ({type(value).__name__})"


def _score_frame(
    detector: Detector,
    pdf: pd.DataFrame,
    *,
    text_field: str,
    text_col: str,
    bad_field: str | None,
    drop: tuple[str, ...],
    review: float | None,
    block: float | None,
    max_chars: int,
) -> pd.DataFrame:
    """Score one Arrow batch: the input columns, then score, verdict, tactics and error."""
    n = len(pdf)
    values = pdf[text_field].tolist()
    pre = pdf[bad_field].tolist() if bad_field else [None] * n
    errors: list[str | None] = [None] * n
    good: list[int] = []
    for i, (value, bad) in enumerate(zip(values, pre, strict=True)):
        if isinstance(bad, str):
            errors[i] = bad
            continue
        problem = _text_problem(value, text_col, max_chars)
        if problem is None:
            good.append(i)
        else:
            errors[i] = problem
    results: list[Result | None] = [None] * len(good)
    try:
        results = list(detector.score_many([values[i] for i in good], review=review, block=block))
    except Exception:  # noqa: BLE001 - one bad text must not fail the batch: retry one by one
        for k, i in enumerate(good):
            try:
                results[k] = detector.score_many([values[i]], review=review, block=block)[0]
            except Exception as exc:  # noqa: BLE001
                errors[i] = f"scoring failed: {type(exc).__name__}"
    scores = np.full(n, np.nan)
    verdicts: list[str | None] = [None] * n
    tactics: list[list[dict[str, Any]] | None] = [None] * n
    for i, r in zip(good, results, strict=True):
        if r is None:
            continue
        scores[i] = r.score
        verdicts[i] = r.verdict
        tactics[i] = _tactics_value(r)
    out = pdf.drop(columns=list(drop)) if drop else pdf.copy(deep=False)
    out["score"] = scores
    out["verdict"] = pd.Series(verdicts, index=out.index, dtype=object)
    out["tactics"] = pd.Series(tactics, index=out.index, dtype=object)
    out["error"] = pd.Series(errors, index=out.index, dtype=object)
    return out


def _score_batches(
    batches: Iterator[pd.DataFrame],
    *,
    model: _ShippedModel,
    text_field: str,
    text_col: str,
    bad_field: str | None,
    drop: tuple[str, ...],
    review: float | None,
    block: float | None,
    max_chars: int,
    loads: Any = None,
) -> Iterator[pd.DataFrame]:
    """The ``mapInPandas`` function: runs in a Python worker, one call per partition."""
    detector: Detector | None = None
    for pdf in batches:
        if detector is None:
            before = LOADS["count"]
            detector = _worker_detector(model)
            if loads is not None and LOADS["count"] > before:
                loads.add(1)
        yield _score_frame(
            detector,
            pdf,
            text_field=text_field,
            text_col=text_col,
            bad_field=bad_field,
            drop=drop,
            review=review,
            block=block,
            max_chars=max_chars,
        )


def _text_and_problem(df: DataFrame, text_col: str) -> tuple[Column | None, Column | None]:
    """How to get a string to score from ``text_col``, and the error of rows that have none.

    ``(None, None)`` for a string column (scored as it is). A VARIANT column (JSON read with
    ``read_messages``) is scored where it holds a string; any other type is never scored.
    """
    dtype = df.schema[text_col].dataType
    col = F.col(f"`{text_col}`")
    if isinstance(dtype, T.StringType):
        return None, None
    if isinstance(dtype, T.VariantType):
        kind = F.schema_of_variant(col)
        text = F.when(kind == "STRING", F.try_variant_get(col, "$", "string"))
        problem = F.when(
            col.isNotNull() & (kind != "STRING") & (kind != "VOID"),
            F.concat(F.lit(f"field {text_col!r} is not a string ("), F.lower(kind), F.lit(")")),
        )
        return text, problem
    problem = F.when(
        col.isNotNull(), F.lit(f"field {text_col!r} is not a string ({dtype.simpleString()})")
    )
    return F.lit(None).cast("string"), problem


def score_dataframe(
    df: DataFrame,
    text_col: str = "text",
    model_path: str | Path | None = None,
    *,
    review: float | None = None,
    block: float | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    input_error_col: str | None = None,
    _loads: Any = None,
) -> DataFrame:
    """Add ``score``, ``verdict``, ``tactics`` and ``error`` to every row of ``df``.

    Parameters
    ----------
    df : the messages; every column is kept, in order (existing ``score``, ``verdict``,
        ``tactics`` and ``error`` columns are replaced, as a re-scoring replaces results).
    text_col : the column holding the message: a string, or a VARIANT (JSON) column whose
        non-string values are reported rather than scored.
    model_path : a model card or joblib on the driver (default: the shipped model).
    review, block : override the model card's thresholds.
    max_chars : longer texts are reported, not scored.
    input_error_col : a column of errors found while reading (e.g. by :func:`read_messages`);
        rows where it is set are not scored and keep that error; the column itself is dropped.

    Returns
    -------
    A lazy DataFrame. ``score`` is null exactly where ``error`` says why; ``tactics`` is an array
    of ``{name, label, evidence: [{start, end, text}]}`` with offsets into the original text.

    Raises
    ------
    InputError : no such column. ModelError : the model cannot be loaded (checked on the driver).
    """
    if text_col not in df.columns:
        raise InputError(
            f"no column {text_col!r} (columns: {', '.join(df.columns) or 'none'}); "
            "use --text-column"
        )
    if text_col in RESULT_COLUMNS or text_col == input_error_col:
        raise InputError(f"the text column cannot be named {text_col!r}: rename it first")
    if input_error_col is not None and input_error_col not in df.columns:
        raise InputError(f"no column {input_error_col!r}")
    spark = df.sparkSession
    model, detector = _ship_model(spark, model_path)
    if review is not None or block is not None:
        detector.verdict(0.0, review, block)  # bad thresholds fail here, not in every task
    df = df.drop(*[c for c in RESULT_COLUMNS if c in df.columns])
    text, problem = _text_and_problem(df, text_col)
    if input_error_col is not None:
        read_error = F.col(f"`{input_error_col}`")
        problem = read_error if problem is None else F.coalesce(read_error, problem)
    helpers: list[str] = []
    if text is not None:
        df = df.withColumn(_TEXT, text)
        helpers.append(_TEXT)
    if problem is not None:
        df = df.withColumn(_BAD, problem)
        helpers.append(_BAD)
    drop = tuple(helpers) + ((input_error_col,) if input_error_col else ())
    kept = [f for f in df.schema.fields if f.name not in drop]
    schema = T.StructType(kept + _RESULT_FIELDS)
    fn = functools.partial(
        _score_batches,
        model=model,
        text_field=_TEXT if text is not None else text_col,
        text_col=text_col,
        bad_field=_BAD if problem is not None else None,
        drop=drop,
        review=review,
        block=block,
        max_chars=max_chars,
        loads=_loads,
    )
    return df.mapInPandas(fn, schema)


# --- the per-sender roll-up ------------------------------------------------------------------


def _handles_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for pdf in batches:
        senders, kinds, values = [], [], []
        for sender, text in zip(pdf["sender"].tolist(), pdf["text"].tolist(), strict=True):
            if not isinstance(text, str):
                continue
            for kind, found in extract_handles(text).items():
                for value in found:
                    senders.append(sender)
                    kinds.append(kind)
                    values.append(value)
        yield pd.DataFrame({"sender": senders, "kind": kinds, "value": values}, dtype=object)


def _time_value(df: DataFrame, time_col: str) -> Column:
    dtype = df.schema[time_col].dataType
    col = F.col(f"`{time_col}`")
    if isinstance(dtype, T.TimestampType | T.TimestampNTZType | T.DateType):
        return col
    if isinstance(dtype, T.StringType):
        return col.try_cast("timestamp")  # ISO 8601, with or without an offset; else null
    raise InputError(
        f"time column {time_col!r} is a {dtype.simpleString()}: expected a timestamp, a date "
        "or ISO 8601 text"
    )


def sender_summary(
    scored_df: DataFrame,
    sender_col: str,
    chat_col: str | None = None,
    *,
    time_col: str | None = None,
    text_col: str | None = "text",
) -> DataFrame:
    """Who is running the scam: one row per sender, riskiest first.

    The batch CLI's ``--summary`` roll-up (``tokenscam.exports.summary``) in Spark SQL: senders are
    ranked by *expected pitches*, the sum of their messages' scores, then by flagged messages and
    by their highest score. Columns: ``sender, messages, flagged, blocked, expected_pitches,
    max_score, mean_score, tactics`` (tactic → number of flagged messages using it, most used
    first), ``handles`` (kind → contact and wallet handles found in flagged messages, when
    ``text_col`` is present), and ``chats`` / ``first``, ``last`` when ``chat_col`` /
    ``time_col`` are given. Rows without a score (errors) are left out, as the CLI skips them.
    """
    for name in (sender_col, chat_col, time_col):
        if name is not None and name not in scored_df.columns:
            raise InputError(f"no column {name!r} (columns: {', '.join(scored_df.columns)})")
    for name in ("score", "verdict", "tactics"):
        if name not in scored_df.columns:
            raise InputError(f"no column {name!r}: give the output of score_dataframe")
    sender = F.col(f"`{sender_col}`").cast("string")
    rows = scored_df.where(F.col("score").isNotNull()).select(
        F.coalesce(F.nullif(sender, F.lit("")), F.lit("(unknown)")).alias("sender"),
        F.col("score"),
        F.col("verdict"),
        F.col("tactics"),
        (F.col("verdict") != "pass").alias("_flagged"),
        *([F.col(f"`{chat_col}`").cast("string").alias("_chat")] if chat_col else []),
        *([_time_value(scored_df, time_col).alias("_time")] if time_col else []),
        *(
            [F.col(f"`{text_col}`").cast("string").alias("_text")]
            if text_col and text_col in scored_df.columns
            else []
        ),
    )
    aggs = [
        F.count(F.lit(1)).alias("messages"),
        F.sum(F.col("_flagged").cast("long")).alias("flagged"),
        F.sum((F.col("verdict") == "block").cast("long")).alias("blocked"),
        F.sum("score").alias("expected_pitches"),
        F.max("score").alias("max_score"),
        F.avg("score").alias("mean_score"),
    ]
    if chat_col:
        aggs.append(F.array_sort(F.collect_set(F.col("_chat"))).alias("chats"))
    if time_col:
        aggs += [F.min("_time").alias("first"), F.max("_time").alias("last")]
    out = rows.groupBy("sender").agg(*aggs)

    flagged = rows.where("_flagged")
    tactic_counts = (
        flagged.select("sender", F.explode("tactics.name").alias("tactic"))
        .groupBy("sender", "tactic")
        .count()
        .groupBy("sender")
        .agg(
            F.sort_array(
                F.collect_list(F.struct((-F.col("count")).alias("neg"), F.col("tactic")))
            ).alias("_t")
        )
        .select(
            "sender",
            F.map_from_entries(F.transform("_t", lambda e: F.struct(e["tactic"], -e["neg"]))).alias(
                "tactics"
            ),
        )
    )
    empty_tactics = F.create_map().cast(T.MapType(T.StringType(), T.LongType()))
    out = out.join(tactic_counts, "sender", "left").withColumn(
        "tactics", F.coalesce("tactics", empty_tactics)
    )
    if "_text" in rows.columns:
        found = (
            flagged.select("sender", F.col("_text").alias("text"))
            .mapInPandas(_handles_batches, "sender string, kind string, value string")
            .groupBy("sender", "kind")
            .agg(F.array_sort(F.collect_set("value")).alias("values"))
            .groupBy("sender")
            .agg(
                F.map_from_entries(F.sort_array(F.collect_list(F.struct("kind", "values")))).alias(
                    "handles"
                )
            )
        )
        empty_handles = F.create_map().cast(T.MapType(T.StringType(), T.ArrayType(T.StringType())))
        out = out.join(found, "sender", "left").withColumn(
            "handles", F.coalesce("handles", empty_handles)
        )
    columns = ["sender", "messages", "flagged", "blocked", "expected_pitches", "max_score"]
    columns += ["mean_score", "tactics"] + (["handles"] if "_text" in rows.columns else [])
    columns += (["chats"] if chat_col else []) + (["first", "last"] if time_col else [])
    return out.select(*columns).orderBy(
        F.desc("expected_pitches"), F.desc("flagged"), F.desc("max_score"), F.asc("sender")
    )


# --- files in, Parquet out -------------------------------------------------------------------


def input_format(path: str, explicit: str | None = None) -> str:
    """``parquet``, ``jsonl`` or ``csv``: as given, or from the name (a directory is Parquet)."""
    if explicit:
        if explicit not in INPUT_FORMATS:
            raise InputError(
                f"unknown format {explicit!r}; expected one of {', '.join(INPUT_FORMATS)}"
            )
        return explicit
    name = path.rstrip("/").lower()
    if name.endswith((".jsonl", ".ndjson", ".json", ".jsonl.gz", ".json.gz")):
        return "jsonl"
    if name.endswith((".csv", ".tsv", ".csv.gz")):
        return "csv"
    if name.endswith(".parquet") or ("://" not in path and Path(path).is_dir()):
        return "parquet"
    raise InputError(f"{path}: cannot tell the format from the name; use --format")


def read_messages(
    spark: SparkSession, path: str, fmt: str, text_col: str = "text"
) -> tuple[DataFrame, str | None]:
    """Read ``path`` and return ``(df, input_error_col)``.

    JSON Lines keep ``text_col`` as a VARIANT, so a number or object where the text should be is
    reported per row instead of being turned into a string; a line that is not JSON, or a CSV
    record whose fields do not match the header, keeps its raw text in ``_corrupt_record`` and an
    error in ``input_error``. Nothing read is dropped.
    """
    try:
        if fmt == "parquet":
            return spark.read.parquet(path), None
        if fmt == "jsonl":
            reader = spark.read.option("mode", "PERMISSIVE").option(
                "columnNameOfCorruptRecord", CORRUPT_RECORD
            )
            inferred = reader.json(path).schema
            if text_col not in inferred.names:
                raise InputError(
                    f"{path}: no record has a field {text_col!r} "
                    f"(fields: {', '.join(inferred.names) or 'none'}); use --text-column"
                )
            schema = T.StructType(
                [
                    T.StructField(f.name, T.VariantType()) if f.name == text_col else f
                    for f in inferred.fields
                ]
            )
            df = reader.schema(schema).json(path)
            message = "not valid JSON"
        elif fmt == "csv":
            reader = (
                spark.read.option("header", True)
                .option("multiLine", True)
                .option("escape", '"')
                .option("sep", "\t" if path.lower().endswith(".tsv") else ",")
                .option("mode", "PERMISSIVE")
                .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
            )
            header = reader.csv(path).schema
            if text_col not in header.names:
                raise InputError(
                    f"{path}:1: no column {text_col!r} "
                    f"(columns: {', '.join(header.names) or 'none'}); use --text-column"
                )
            schema = T.StructType(
                [T.StructField(n, T.StringType()) for n in header.names]
                + [T.StructField(CORRUPT_RECORD, T.StringType())]
            )
            df = reader.schema(schema).csv(path)
            message = "malformed CSV record: its fields do not match the header"
        else:
            raise InputError(f"unknown format {fmt!r}")
    except AnalysisException as exc:
        raise InputError(f"{path}: cannot read it as {fmt} ({_first_line(exc)})") from exc
    if CORRUPT_RECORD not in df.columns:
        return df, None
    return (
        df.withColumn(INPUT_ERROR, F.when(F.col(CORRUPT_RECORD).isNotNull(), F.lit(message))),
        INPUT_ERROR,
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _output_text(df: DataFrame, text_col: str) -> DataFrame:
    """A VARIANT text column becomes text again for the output: the string, or the JSON of a
    value that was not one (reported in ``error``)."""
    if not isinstance(df.schema[text_col].dataType, T.VariantType):
        return df
    col = F.col(f"`{text_col}`")
    kind = F.schema_of_variant(col)
    as_text = (
        F.when(kind == "STRING", F.try_variant_get(col, "$", "string"))
        .when(kind != "VOID", F.to_json(col))
        .otherwise(F.lit(None).cast("string"))
    )
    return df.withColumn(text_col, as_text)


def score_path(
    spark: SparkSession,
    input_path: str,
    output_path: str,
    *,
    fmt: str | None = None,
    text_col: str = "text",
    sender_col: str | None = None,
    chat_col: str | None = None,
    time_col: str | None = None,
    model_path: str | Path | None = None,
    review: float | None = None,
    block: float | None = None,
    partitions: int | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Score a file or directory into ``output_path``: ``scored/`` (Parquet partitions, every
    input column plus score, verdict, tactics, error), ``senders/`` (the :func:`sender_summary`,
    when ``sender_col`` is given) and ``counts/`` (one JSON line). Returns the counts."""
    fmt = input_format(input_path, fmt)
    if "://" not in input_path and not Path(input_path).exists():
        raise InputError(f"{input_path}: no such file or directory")
    df, input_error = read_messages(spark, input_path, fmt, text_col)
    for name in (sender_col, chat_col, time_col):
        if name is not None and name not in df.columns:
            raise InputError(f"{input_path}: no column {name!r} (columns: {', '.join(df.columns)})")
    if partitions:
        df = df.repartition(partitions)
    scored = score_dataframe(
        df, text_col, model_path, review=review, block=block, input_error_col=input_error
    )
    scored = _output_text(scored, text_col)
    base = output_path.rstrip("/")
    mode = "overwrite" if overwrite else "errorifexists"
    try:
        scored.write.mode(mode).parquet(f"{base}/scored")
        # Read the results back rather than score twice: the summary and counts are cheap scans.
        written = spark.read.parquet(f"{base}/scored")
        if sender_col:
            summary = sender_summary(
                written, sender_col, chat_col, time_col=time_col, text_col=text_col
            )
            summary.coalesce(1).write.mode(mode).parquet(f"{base}/senders")
        row = written.agg(
            F.count(F.lit(1)).alias("read"),
            F.count("score").alias("scored"),
            F.count("error").alias("errors"),
            *[
                F.sum((F.col("verdict") == v).cast("long")).alias(v)
                for v in ("pass", "review", "block")
            ],
        ).first()
    except AnalysisException as exc:
        raise InputError(f"{base}: cannot write the output ({_first_line(exc)})") from exc
    except (PySparkException, Py4JError) as exc:
        raise SparkError(f"the Spark job failed: {_first_line(exc)}") from exc
    assert row is not None
    counts = {k: int(row[k] or 0) for k in ("read", "scored", "errors", "pass", "review", "block")}
    detector = _ship_model(spark, model_path)[1]
    counts |= {"input": input_path, "format": fmt, "model": detector.version}
    spark.createDataFrame([(json.dumps(counts, ensure_ascii=False),)], "value string").coalesce(
        1
    ).write.mode(mode).text(f"{base}/counts")
    return counts
