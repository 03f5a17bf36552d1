"""The ``tokenscam`` command: a thin face over the library."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import BadRecord, InputError, ModelError, TokenscamError
from .mask import mask_pii as mask_personal_data

# Exit codes, documented in `tokenscam score --help`.
EXIT_OK = 0
EXIT_SOME_BAD = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_MODEL = 4
EXIT_STRICT = 5

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


def _fail(message: str, code: int) -> None:
    click.echo(f"tokenscam: error: {message}", err=True)
    sys.exit(code)


def _load_detector(model: str | None) -> Any:
    from .detector import Detector

    try:
        return Detector.load(model or os.environ.get("TOKENSCAM_MODEL") or None)
    except ModelError as exc:
        _fail(str(exc), EXIT_MODEL)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="tokenscam")
def cli() -> None:
    """Detect Chinese-language token-hoarding investment scams, with the evidence."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


_SCORE_HELP = """Score messages given as arguments, or every record of a file.

\b
  tokenscam score "现在不囤词元，以后买不起！"
  tokenscam score --json "文本一" "文本二"
  tokenscam score --input msgs.jsonl --output scored.jsonl
  tokenscam score --input msgs.csv --text-column content --output scored.csv
  cat msgs.txt | tokenscam score --input - --format txt --output -

\b
Files: .jsonl (field `text`; every other field is kept as is), .csv (--text-column,
default `text`) or .txt (one message a line); `-` is stdin/stdout. Each output row is
the input fields plus `score`, `verdict` and `tactics`. A malformed record is reported
on stderr with its file and line and skipped (--strict: stop at the first).

\b
Chat exports (WeChat, Telegram, QQ, WhatsApp, LINE, Discord; `tokenscam formats`) are
recognised from their content; each output row is then source_format, chat, message_id,
sender_id, sender, timestamp, text, urls, score, verdict, tactics. Media and system
entries are counted, not scored. --summary ranks senders by risk with their contact and
wallet handles; --report writes one self-contained HTML page; --mask-pii masks phone,
ID-card and bank-card numbers, emails and WeChat/QQ ids everywhere. A plain table
becomes an export with --sender-column / --time-column (or --format generic).

\b
  tokenscam score --input result.json --output out.jsonl --summary s.json --report r.html
  tokenscam score --input msgs.xlsx --format generic --text-column 内容 --sender-column 发送人

\b
Exit codes:
  0  every record was scored
  1  finished, but some records were malformed and skipped (see stderr / --errors)
  2  usage error (bad options)
  3  the input cannot be read (missing, a directory, binary, no text column, ...)
  4  the model cannot be loaded (missing, checksum mismatch, incompatible libraries)
  5  --strict: stopped at the first malformed record
"""


@cli.command(help=_SCORE_HELP)
@click.argument("texts", nargs=-1)
@click.option(
    "-i", "--input", "input_path", help="File to score (.jsonl, .csv, .txt) or - for stdin."
)
@click.option(
    "-o",
    "--output",
    "output_path",
    default="-",
    show_default=True,
    help="Where to write scored rows (.jsonl or .csv, - for stdout).",
)
@click.option(
    "--format",
    "in_format",
    help="Input format: jsonl, csv, txt, an export format (see `tokenscam formats`) or generic. "
    "Default: detected from the content (exports), else from the file name.",
)
@click.option(
    "--output-format", type=click.Choice(["jsonl", "csv"]), help="Output format for stdout."
)
@click.option(
    "--text-column", default="text", show_default=True, help="Field or column holding the message."
)
@click.option(
    "--json", "as_json", is_flag=True, help="JSON output for messages given as arguments."
)
@click.option("--review", type=click.FloatRange(0, 1), help="Override the review threshold.")
@click.option("--block", type=click.FloatRange(0, 1), help="Override the block threshold.")
@click.option("--strict", is_flag=True, help="Stop at the first malformed record (exit 5).")
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write malformed records (file, line, error) to this JSONL file.",
)
@click.option(
    "-j", "--jobs", type=click.IntRange(1, 256), help="Worker processes (default: all cores)."
)
@click.option(
    "--max-chars",
    type=click.IntRange(1),
    default=100_000,
    show_default=True,
    help="Longer texts are reported as malformed.",
)
@click.option("--sender-column", help="Sender column of a plain table (makes it a chat export).")
@click.option("--time-column", help="Time column of a plain table (makes it a chat export).")
@click.option(
    "--timezone",
    default="Asia/Shanghai",
    show_default=True,
    help="Time zone of exports that record only local time.",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the per-sender and per-chat risk summary (JSON) here.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write a self-contained HTML report here.",
)
@click.option(
    "--mask-pii",
    is_flag=True,
    help="Mask phone, ID-card and bank-card numbers, emails and WeChat/QQ ids in every output.",
)
@click.option("--model", help="Model card or joblib to use (default: the shipped model).")
def score(
    texts: tuple[str, ...],
    input_path: str | None,
    output_path: str,
    in_format: str | None,
    output_format: str | None,
    text_column: str,
    as_json: bool,
    review: float | None,
    block: float | None,
    strict: bool,
    errors_path: str | None,
    jobs: int | None,
    max_chars: int,
    sender_column: str | None,
    time_column: str | None,
    timezone: str,
    summary_path: str | None,
    report_path: str | None,
    mask_pii: bool,
    model: str | None,
) -> None:
    if texts and input_path:
        raise click.UsageError("give messages as arguments or --input, not both")
    if not texts and not input_path:
        raise click.UsageError("nothing to score: give messages as arguments or --input FILE")
    if review is not None and block is not None and review > block:
        raise click.UsageError(f"--review ({review}) must not be above --block ({block})")
    detector = _load_detector(model)
    if review is not None and block is None:
        block = max(review, detector.block_threshold)
    if block is not None and review is None:
        review = min(block, detector.review_threshold)

    if texts:
        results = detector.score_many(list(texts), review=review, block=block, explain=True)
        if as_json:
            payload = [{"text": t, **r.to_dict()} for t, r in zip(texts, results, strict=True)]
            click.echo(
                json.dumps(
                    payload if len(payload) > 1 else payload[0], ensure_ascii=False, indent=2
                )
            )
        else:
            color = sys.stdout.isatty()
            for t, r in zip(texts, results, strict=True):
                click.echo(_human(t, r, color))
        return

    assert input_path is not None
    reader = _export_reader(
        input_path, in_format, sender_column, time_column, summary_path, report_path, mask_pii
    )
    error_fh = open(errors_path, "w", encoding="utf-8") if errors_path else None  # noqa: SIM115
    shown = 0

    def on_error(err: BadRecord) -> None:
        nonlocal shown
        # An error may quote a bit of the bad record: personal data in it is masked.
        err = BadRecord(err.source, err.line, mask_personal_data(err.message))
        if shown < 50:
            click.echo(f"tokenscam: skipped {err}", err=True)
        elif shown == 50:
            click.echo("tokenscam: (more malformed records; see --errors)", err=True)
        shown += 1
        if error_fh:
            error_fh.write(
                json.dumps(
                    {"source": err.source, "line": err.line, "error": err.message},
                    ensure_ascii=False,
                )
                + "\n"
            )

    t0 = time.perf_counter()
    if reader is not None:
        try:
            _score_export(
                detector,
                reader,
                input_path,
                output_path,
                output_format,
                text_column,
                sender_column,
                time_column,
                timezone,
                review,
                block,
                mask_pii,
                strict,
                jobs,
                summary_path,
                report_path,
                on_error,
                t0,
            )
        finally:
            if error_fh:
                error_fh.close()
        return

    from .batch import score_file

    try:
        stats = score_file(
            detector,
            input_path,
            output_path,
            in_format=in_format,
            out_format=output_format,
            text_column=text_column,
            review=review,
            block=block,
            strict=strict,
            jobs=jobs,
            max_chars=max_chars,
            on_error=on_error,
        )
    except BadRecord as exc:
        _fail(f"{exc} (--strict)", EXIT_STRICT)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    finally:
        if error_fh:
            error_fh.close()
    elapsed = time.perf_counter() - t0
    click.echo(
        f"tokenscam: read {stats.read} records: {stats.scored} scored, {stats.bad} malformed "
        f"(skipped), {stats.blank} blank; {elapsed:.2f} s",
        err=True,
    )
    if stats.bad:
        sys.exit(EXIT_SOME_BAD)


PLAIN_FORMATS = ("jsonl", "csv", "txt")


def _export_reader(
    input_path: str,
    in_format: str | None,
    sender_column: str | None,
    time_column: str | None,
    summary_path: str | None,
    report_path: str | None,
    mask_pii: bool,
) -> Any:
    """The export reader for this input, or None for the plain JSONL/CSV/TXT contract.

    A file is treated as a chat export when ``--format`` names one, when a sender or time column is
    given, when export-only outputs are asked for (summary, report, masking), or when its content
    is recognised as one.
    """
    from .exports import registry

    wants_export = bool(sender_column or time_column or summary_path or report_path or mask_pii)
    if in_format is not None and in_format not in PLAIN_FORMATS:
        try:
            return registry.by_name(in_format)
        except InputError as exc:
            raise click.UsageError(str(exc)) from exc
    if input_path == "-":
        if wants_export:
            raise click.UsageError(
                "chat exports, --summary, --report and --mask-pii need a file, not stdin"
            )
        return None
    if in_format is None:
        try:
            found = registry.detect(Path(input_path))
        except InputError as exc:
            _fail(str(exc), EXIT_INPUT)
        if found is not None:
            return found
    return registry.by_name("generic") if wants_export else None


class _Progress:
    """A one-line progress display on stderr for interactive runs: entries, rate, and, where the
    reader's position in the file can be seen (Linux /proc), percentage and ETA."""

    def __init__(self, path: str) -> None:
        self.path = os.path.realpath(path)
        self.size = os.path.getsize(path) or 1
        self.t0 = time.perf_counter()
        self.fd: str | None = None

    def _position(self) -> int | None:
        try:
            if self.fd is None:
                for fd in os.listdir("/proc/self/fd"):
                    try:
                        if os.readlink(f"/proc/self/fd/{fd}") == self.path:
                            self.fd = fd
                            break
                    except OSError:
                        continue
            if self.fd is None:
                return None
            with open(f"/proc/self/fdinfo/{self.fd}", encoding="ascii") as fh:
                return int(fh.readline().split()[1])
        except (OSError, ValueError, IndexError):
            self.fd = None
            return None

    def __call__(self, n: int) -> None:
        elapsed = max(time.perf_counter() - self.t0, 1e-9)
        line = f"\rtokenscam: {n:,} entries, {n / elapsed:,.0f}/s"
        pos = self._position()
        if pos:
            done = min(pos / self.size, 1.0)
            eta = elapsed * (1 - done) / done if done > 0 else 0
            line += f", {done:6.1%} of the file, ETA {eta:,.0f} s"
        sys.stderr.write(line + "   ")
        sys.stderr.flush()


def _score_export(
    detector: Any,
    reader: Any,
    input_path: str,
    output_path: str,
    output_format: str | None,
    text_column: str,
    sender_column: str | None,
    time_column: str | None,
    timezone: str,
    review: float | None,
    block: float | None,
    mask_pii: bool,
    strict: bool,
    jobs: int | None,
    summary_path: str | None,
    report_path: str | None,
    on_error: Any,
    t0: float,
) -> None:
    from .exports.base import ReadOptions
    from .exports.run import run_export

    out_format = output_format or (
        "csv" if output_path != "-" and output_path.lower().endswith(".csv") else "jsonl"
    )
    if output_path != "-" and not output_path.lower().endswith(
        (".csv", ".jsonl", ".json", ".ndjson")
    ):
        raise click.UsageError(f"{output_path}: output must end in .jsonl or .csv")
    options = ReadOptions(
        timezone=timezone,
        text_column=text_column,
        sender_column=sender_column,
        time_column=time_column,
    )
    progress = _Progress(input_path) if sys.stderr.isatty() else None
    try:
        options.tz()
        stats, _ = run_export(
            detector,
            Path(input_path),
            output_path,
            reader=reader,
            options=options,
            out_format=out_format,
            review=review,
            block=block,
            mask=mask_pii,
            strict=strict,
            jobs=jobs,
            summary_path=summary_path,
            report_path=report_path,
            on_error=on_error,
            progress=progress,
        )
    except BadRecord as exc:
        _fail(f"{exc} (--strict)", EXIT_STRICT)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    if progress is not None:
        sys.stderr.write("\n")
    skipped = ", ".join(f"{n} {k}" for k, n in sorted(stats.skipped.items())) or "none"
    click.echo(
        f"tokenscam: {reader.name}: read {stats.read} entries: {stats.scored} messages scored, "
        f"{sum(stats.skipped.values())} skipped ({skipped}), {stats.bad} malformed; "
        f"{time.perf_counter() - t0:.2f} s",
        err=True,
    )
    if stats.bad:
        sys.exit(EXIT_SOME_BAD)


@cli.command()
def formats() -> None:
    """List every input format and how it is recognised."""
    from .exports import registry

    click.echo("Plain files (the JSONL/CSV/TXT contract; chosen by file name or --format):")
    click.echo(
        "  jsonl      one JSON object a line, field `text` (--text-column); other fields kept"
    )
    click.echo("  csv        a header row and a `text` column (--text-column); other columns kept")
    click.echo("  txt        one message a line")
    click.echo("Chat exports (detected from the first 64 KB of content; --format NAME forces one):")
    for r in registry.readers():
        click.echo(f"  {r.name:<24} {r.description}")
        click.echo(f"  {'':<24} recognised by: {r.detection}")


def _human(text: str, result: Any, color: bool) -> str:
    marks: list[tuple[int, int]] = sorted(
        {(s.start, s.end) for t in result.tactics for s in t.evidence}
        | {(s.start, s.end) for t in result.top_terms for s in t.evidence}
    )
    merged: list[list[int]] = []
    for s, e in marks:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    on, off = ("\033[1;31m", "\033[0m") if color else ("⟦", "⟧")
    out, pos = [], 0
    for s, e in merged:
        out.append(text[pos:s] + on + text[s:e] + off)
        pos = e
    out.append(text[pos:])
    verdict = {"pass": "PASS", "review": "REVIEW", "block": "BLOCK"}[result.verdict]
    lines = [f"[{verdict}] {result.score:.3f}  " + "".join(out)]
    for t in result.tactics:
        ev = "、".join(f"「{s.text}」" for s in t.evidence)
        lines.append(f"  · {t.label} ({t.name}): {ev}")
    if result.top_terms:
        terms = ", ".join(f"{t.term} (+{t.weight:.2f})" for t in result.top_terms[:6])
        lines.append(f"  · top terms: {terms}")
    return "\n".join(lines)


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory for the artifact (default: the repo's models/).",
)
@click.option(
    "--version", "model_version", default=None, help="Model version (default: package version)."
)
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(exists=True, file_okay=False),
    help="Corpus directory (default: the repo's data/corpus).",
)
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=2, show_default=True)
def train(
    out_dir: str | None, model_version: str | None, corpus_dir: str | None, jobs: int
) -> None:
    """Retrain the model from the repo's corpus (deterministic; a few minutes on 2 cores)."""
    from .artifact import default_model_dir
    from .train import train as run_train

    try:
        run_train(
            Path(out_dir) if out_dir else default_model_dir(),
            model_version or __version__,
            corpus_dir=Path(corpus_dir) if corpus_dir else None,
            n_jobs=jobs,
            progress=lambda m: click.echo(f"tokenscam: {m}", err=True),
        )
    except TokenscamError as exc:
        _fail(str(exc), EXIT_INPUT)


@cli.command(name="eval")
@click.option(
    "--data",
    "data_paths",
    multiple=True,
    type=click.Path(),
    help="Labelled JSONL (fields text, label; optional kind, source). Repeatable.",
)
@click.option("--text-column", default="text", show_default=True)
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False), help="Also write metrics as JSON here."
)
@click.option("--model", help="Model card or joblib to use (default: the shipped model).")
def evaluate(
    data_paths: tuple[str, ...], text_column: str, json_path: str | None, model: str | None
) -> None:
    """Precision, recall, F1, PR-AUC, ROC-AUC, Brier and false-positive rate per kind and source.

    Rows whose label is null (e.g. other fraud types) get a score distribution instead.
    """
    from .evaluate import breakdown, format_table, metrics
    from .labelled import load_labelled

    if not data_paths:
        raise click.UsageError("give at least one --data FILE.jsonl")
    detector = _load_detector(model)
    try:
        rows = load_labelled(
            data_paths,
            text_column,
            on_error=lambda e: click.echo(f"tokenscam: skipped {e}", err=True),
        )
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    if not rows:
        _fail("no usable rows", EXIT_INPUT)
    import numpy as np

    scores = np.array(detector.scores([r["text"] for r in rows]))
    labels = [r["label"] for r in rows]
    review, block = detector.review_threshold, detector.block_threshold
    labelled = [i for i, v in enumerate(labels) if v is not None]
    report: dict[str, Any] = {
        "model": detector.version,
        "thresholds": {"review": review, "block": block},
        "overall": metrics(np.array([labels[i] for i in labelled]), scores[labelled], review, block)
        if labelled
        else None,
        "by_kind": breakdown(labels, scores, [r["kind"] for r in rows], review, block),
        "by_source": breakdown(labels, scores, [r["source"] for r in rows], review, block),
    }
    click.echo(
        f"model {detector.version}: review ≥ {review:.4f}, block ≥ {block:.4f}; {len(rows)} rows"
    )
    if report["overall"]:
        click.echo(format_table("overall", {"all labelled": report["overall"]}))
    click.echo(format_table("kind", report["by_kind"]))
    click.echo(format_table("source", report["by_source"]))
    click.echo("(* unlabelled rows: share flagged, i.e. verdict ≠ pass)")
    if json_path:
        Path(json_path).write_text(
            json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


def main() -> None:
    try:
        cli(standalone_mode=True)
    except TokenscamError as exc:  # pragma: no cover - commands catch their own
        _fail(str(exc), EXIT_INPUT)


if __name__ == "__main__":  # pragma: no cover
    main()
