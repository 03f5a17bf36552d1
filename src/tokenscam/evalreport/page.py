"""``index.html``: the report as one page that opens from disk with no network.

Every figure is rendered from the metrics dict and carries its path in it (``data-m``), so a
test can read the page back and check each number against ``metrics.json``. Plots are embedded
as ``data:`` URIs; all text — messages, sources, file names — is escaped. No scripts; a
Content-Security-Policy forbids loading anything.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

__all__ = ["render_page", "format_number"]

_CSS = """
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1f2328;background:#f6f8fa;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:16px 20px}
h1{font-size:1.5em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #d0d7de}h3{font-size:1.05em;margin-top:1.4em}
table{border-collapse:collapse;background:#fff;font-size:.85em;margin:6px 0}
th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eaeef2}td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.src{max-width:420px;word-break:break-all}
.plots{display:flex;flex-wrap:wrap;gap:8px}.plots img{background:#fff;border:1px solid #d0d7de;max-width:100%}
.ex{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:6px 10px;margin:6px 0}
.meta{color:#57606a;font-size:.85em}.text{white-space:pre-wrap;word-break:break-word;margin-top:4px}
mark{background:#ffd8a8;padding:0 1px}.tag{display:inline-block;background:#ddf4ff;border-radius:10px;padding:0 6px;margin:1px;font-size:.8em}
.term{display:inline-block;background:#fff1e5;border-radius:10px;padding:0 6px;margin:1px;font-size:.8em}
.note{color:#57606a;font-size:.9em;max-width:900px}
"""

_METRIC_COLUMNS = (
    ("n", "rows", "int"),
    ("precision", "precision", "rate"),
    ("recall", "recall", "rate"),
    ("f1", "F1", "rate"),
    ("pr_auc", "PR-AUC", "rate"),
    ("false_positive_rate", "false-positive rate", "rate"),
    ("brier", "Brier", "rate"),
    ("ece", "ECE", "rate"),
    ("block_recall", "recall at block", "rate"),
)


def format_number(value: Any, style: str) -> str:
    """How a number is shown: rates with 4 decimals, thresholds 6, counts and speeds whole."""
    if value is None:
        return "–"
    if style == "int":
        return f"{int(value):,}"
    if style == "speed":
        return f"{float(value):,.0f}"
    if style == "seconds":
        return f"{float(value):.2f}"
    if style == "threshold":
        return f"{float(value):.6f}"
    return f"{float(value):.4f}"


def _cell(path: Sequence[str], value: Any, style: str = "rate") -> str:
    key = escape(json.dumps(list(path), ensure_ascii=False), quote=True)
    return f'<td class="n" data-m="{key}" data-style="{style}">{format_number(value, style)}</td>'


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}" title="{escape(path.name)}">'
    )


def _highlight(text: str, marks: Sequence[Sequence[Any]]) -> str:
    """The text with evidence spans in ``<mark>``; overlapping spans merge, titles join."""
    merged: list[list[Any]] = []
    for start, end, why in sorted((int(s), int(e), str(w)) for s, e, w in marks):
        if not 0 <= start < end <= len(text):
            continue
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            if why not in merged[-1][2]:
                merged[-1][2].append(why)
        else:
            merged.append([start, end, [why]])
    out, pos = [], 0
    for start, end, whys in merged:
        title = escape("; ".join(whys), quote=True)
        out.append(
            escape(text[pos:start])
            + f'<mark title="{title}">'
            + escape(text[start:end])
            + "</mark>"
        )
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _model_table(m: Mapping[str, Any], slug: str, models: Mapping[str, Any]) -> str:
    rows = m["datasets"][slug]["models"]
    if not rows:
        return ""
    head = "".join(f"<th>{escape(label)}</th>" for _, label, _ in _METRIC_COLUMNS)
    body = []
    for key, row in rows.items():
        cells = "".join(
            _cell(["datasets", slug, "models", key, col], row.get(col), style)
            for col, _, style in _METRIC_COLUMNS
        )
        body.append(f"<tr><th>{escape(models[key]['label'])}</th>{cells}</tr>")
    return f"<table><tr><th>model</th>{head}</tr>{''.join(body)}</table>"


def _group_table(m: Mapping[str, Any], slug: str, by: str, model: str) -> str:
    table = m["datasets"][slug][by].get(model) or {}
    labelled = {g: r for g, r in table.items() if "precision" in r}
    parts = []
    if labelled:
        head = "".join(f"<th>{escape(label)}</th>" for _, label, _ in _METRIC_COLUMNS)
        body = "".join(
            f'<tr><td class="src">{escape(g)}</td>'
            + "".join(
                _cell(["datasets", slug, by, model, g, col], r.get(col), style)
                for col, _, style in _METRIC_COLUMNS
            )
            + "</tr>"
            for g, r in labelled.items()
        )
        parts.append(f"<table><tr><th>{escape(by[3:])}</th>{head}</tr>{body}</table>")
    unlabelled = {g: r for g, r in table.items() if "precision" not in r}
    if unlabelled:
        parts.append(_distribution_rows([slug, by, model], unlabelled, by[3:]))
    return "".join(parts)


_DIST = (
    ("n", "rows", "int"),
    ("flagged_share", "flagged (≥ review)", "rate"),
    ("blocked_share", "blocked", "rate"),
    ("median", "median score", "rate"),
    ("p90", "90th percentile", "rate"),
    ("p99", "99th percentile", "rate"),
    ("mean", "mean", "rate"),
)


def _distribution_rows(path: Sequence[str], table: Mapping[str, Any], first: str) -> str:
    head = "".join(f"<th>{escape(label)}</th>" for _, label, _ in _DIST)
    body = "".join(
        f'<tr><td class="src">{escape(g)}</td>'
        + "".join(_cell(["datasets", *path, g, col], r.get(col), style) for col, _, style in _DIST)
        + "</tr>"
        for g, r in table.items()
    )
    return f"<table><tr><th>{escape(first)}</th>{head}</tr>{body}</table>"


def _flag_comparison(m: Mapping[str, Any], slug: str, models: Mapping[str, Any]) -> str:
    """False-positive rate (or flagged share) per source, every model side by side."""
    by = m["datasets"][slug]["by_source"]
    keys = [k for k in models if k in by]
    if len(keys) < 2:
        return ""
    sources = list(by[keys[0]])
    head = "".join(f"<th>{escape(models[k]['label'])}</th>" for k in keys)
    body = []
    for src in sources:
        cells = []
        for k in keys:
            row = by[k].get(src, {})
            col = "false_positive_rate" if "precision" in row else "flagged_share"
            cells.append(_cell(["datasets", slug, "by_source", k, src, col], row.get(col)))
        body.append(f'<tr><td class="src">{escape(src)}</td>{"".join(cells)}</tr>')
    return (
        "<h3>Flagged per source, every model</h3><p class='note'>False-positive rate for rows "
        "labelled 0, share flagged for unlabelled rows; recall is in the table above.</p>"
        f"<table><tr><th>source</th>{head}</tr>{''.join(body)}</table>"
    )


def _advice_table(m: Mapping[str, Any], slug: str) -> str:
    advice = m["datasets"][slug].get("threshold_advice") or []
    if not advice:
        return ""
    body = []
    for i, a in enumerate(advice):
        p = ["datasets", slug, "threshold_advice", str(i)]
        body.append(
            f"<tr><td>{escape(a['setting'])}</td>"
            + _cell([*p, "target_precision"], a["target_precision"], "rate")
            + _cell([*p, "threshold"], a["threshold"], "threshold")
            + _cell([*p, "precision"], a["precision"], "rate")
            + _cell([*p, "recall"], a["recall"], "rate")
            + _cell([*p, "false_positive_rate"], a.get("false_positive_rate"), "rate")
            + "</tr>"
        )
    return (
        "<h3>Threshold advice (tokenscam)</h3><p class='note'>The lowest threshold above which "
        "precision stays at or above the target, and the recall it buys. “–”: no threshold "
        "reaches the target.</p><table><tr><th>setting</th><th>target precision</th>"
        "<th>threshold</th><th>precision</th><th>recall</th><th>false-positive rate</th></tr>"
        + "".join(body)
        + "</table>"
    )


def _examples(examples: Mapping[str, list[dict[str, Any]]], slug: str) -> str:
    parts = []
    titles = {
        "false_positives": "Most confident false positives (flagged, not scams)",
        "false_negatives": "Most confident false negatives (scams that passed)",
    }
    for key, title in titles.items():
        items = examples.get(key) or []
        if not items:
            continue
        parts.append(f"<h3>{escape(title)}: {len(items)}</h3>")
        for ex in items:
            tags = "".join(f'<span class="tag">{escape(t)}</span>' for t in ex["tactics"])
            terms = "".join(f'<span class="term">{escape(t)}</span>' for t in ex["terms"])
            if ex["quoted"]:
                text = f'<div class="text">{_highlight(ex["text"], ex["marks"])}</div>'
            else:
                text = (
                    '<div class="meta">text not reproduced (written by others): see the '
                    "reference in the data file</div>"
                )
            parts.append(
                f'<div class="ex"><div class="meta">score {ex["score"]:.4f} · '
                f"{escape(ex['kind'])} · {escape(ex['source'])} · {escape(ex['ref'])}</div>"
                f"{text}<div>{tags}{terms}</div></div>"
            )
    return "".join(parts)


def _evasion(m: Mapping[str, Any], models: Mapping[str, Any], plot: str) -> str:
    ev = m.get("evasion")
    if not ev:
        return ""
    keys = [k for k in models if any(k in t["models"] for t in ev["transforms"].values())]
    head = "".join(f"<th colspan='3'>{escape(models[k]['label'])}</th>" for k in keys)
    sub = "<th>before</th><th>after</th><th>drop</th>" * len(keys)
    body = []
    for name, t in ev["transforms"].items():
        p = ["evasion", "transforms", name]
        cells = "".join(
            _cell([*p, "models", k, "recall_before"], t["models"][k]["recall_before"])
            + _cell([*p, "models", k, "recall_after"], t["models"][k]["recall_after"])
            + _cell([*p, "models", k, "drop"], t["models"][k]["drop"])
            for k in keys
        )
        body.append(
            f"<tr><td>{escape(name)}</td><td>{escape(t['group'])}</td>"
            f"<td>{escape(t['description'])}</td><td>{'yes' if t['trained'] else 'no'}</td>"
            + _cell([*p, "changed"], t["changed"], "int")
            + cells
            + "</tr>"
        )
    return (
        "<h2 id='evasion'>Evasion suite</h2>"
        f"<p class='note'>Each evasion is applied to every held-out scam of our corpus "
        f"({format_number(ev['scams'], 'int')}), seeded and deterministic "
        "(<code>tokenscam.evasion</code>); recall is counted at each model's review threshold, "
        "before and after, over all held-out scams (an evasion that leaves a message unchanged "
        "leaves its score unchanged; “changed” counts those it altered). “trained”: training "
        f"also shows the model this evasion. Split messages: {escape(ev['rule'])}.</p>"
        f"<table><tr><th rowspan='2'>evasion</th><th rowspan='2'>group</th>"
        f"<th rowspan='2'>what it does</th><th rowspan='2'>trained</th>"
        f"<th rowspan='2'>changed</th>{head}</tr><tr>{sub}</tr>{''.join(body)}</table>"
        f"<div class='plots'>{plot}</div>"
    )


def _speed(m: Mapping[str, Any], models: Mapping[str, Any]) -> str:
    sp = m.get("speed")
    if not sp:
        return ""
    body = "".join(
        f"<tr><th>{escape(models[k]['label'])}</th>"
        + _cell(["speed", "models", k, "messages_per_second"], v["messages_per_second"], "speed")
        + _cell(["speed", "models", k, "seconds"], v["seconds"], "seconds")
        + "</tr>"
        for k, v in sp["models"].items()
    )
    return (
        "<h2 id='speed'>Speed</h2>"
        f"<p class='note'>{escape(sp['how'])}: {format_number(sp['messages'], 'int')} messages "
        f"({escape(sp['data'])}).</p>"
        "<table><tr><th>model</th><th>messages/s</th><th>seconds</th></tr>"
        f"{body}</table>"
    )


def _headline(m: Mapping[str, Any], models: Mapping[str, Any]) -> str:
    """One row per dataset and figure, one column per model."""
    keys = list(models)
    head = "".join(f"<th>{escape(models[k]['label'])}</th>" for k in keys)
    body = []
    for slug, d in m["datasets"].items():
        if d["positives"] and d["negatives"]:
            figures = [
                ("pr_auc", "PR-AUC"),
                ("precision", "precision"),
                ("recall", "recall"),
                ("false_positive_rate", "false-positive rate"),
            ]
            for col, label in figures:
                cells = "".join(
                    _cell(["datasets", slug, "models", k, col], d["models"][k].get(col))
                    if k in d["models"]
                    else "<td>–</td>"
                    for k in keys
                )
                body.append(f"<tr><td>{escape(d['title'])}</td><td>{label}</td>{cells}</tr>")
        elif d["negatives"]:
            cells = "".join(
                _cell(
                    ["datasets", slug, "models", k, "false_positive_rate"],
                    d["models"][k].get("false_positive_rate"),
                )
                if k in d["models"]
                else "<td>–</td>"
                for k in keys
            )
            body.append(
                f"<tr><td>{escape(d['title'])}</td><td>flagged (false positives)</td>{cells}</tr>"
            )
        if d.get("distribution"):
            cells = "".join(
                _cell(
                    ["datasets", slug, "distribution", k, "flagged_share"],
                    d["distribution"][k].get("flagged_share"),
                )
                if k in d["distribution"]
                else "<td>–</td>"
                for k in keys
            )
            body.append(
                f"<tr><td>{escape(d['title'])}</td><td>flagged (unlabelled rows)</td>{cells}</tr>"
            )
    return (
        f"<table><tr><th>data</th><th>figure</th>{head}</tr>{''.join(body)}</table>"
        "<p class='note'>Flagged = score at or above the model's review threshold. Precision, "
        "recall and false-positive rate are at that threshold; PR-AUC over all thresholds.</p>"
    )


def render_page(
    metrics: Mapping[str, Any],
    examples: Mapping[str, Mapping[str, list[dict[str, Any]]]],
    plots: Mapping[str, Mapping[str, Path]],
) -> str:
    """The whole page. ``plots``: per dataset slug (and ``"evasion"``), name → PNG file."""
    models = metrics["models"]
    model = metrics["model"]
    ours = next(iter(models))
    nav = "".join(
        f'<a href="#{escape(slug)}">{escape(d["title"])}</a> · '
        for slug, d in metrics["datasets"].items()
    )
    sections = []
    for slug, d in metrics["datasets"].items():
        imgs = "".join(_img(p, f"{d['title']}: {name}") for name, p in plots.get(slug, {}).items())
        parts = [
            f"<h2 id='{escape(slug)}'>{escape(d['title'])}</h2>",
            f"<p class='note'>{escape(d['description'])}</p><p class='meta'>"
            f"{format_number(d['n'], 'int')} rows: {format_number(d['positives'], 'int')} "
            f"scams, {format_number(d['negatives'], 'int')} not, "
            f"{format_number(d['unlabelled'], 'int')} unlabelled.</p>",
            _model_table(metrics, slug, models),
            f"<div class='plots'>{imgs}</div>" if imgs else "",
        ]
        if d.get("distribution"):
            parts.append("<h3>Unlabelled rows: score distribution</h3>")
            parts.append(_distribution_by_model(slug, d["distribution"], models))
        parts.append(f"<h3>Per kind ({escape(models[ours]['label'])})</h3>")
        parts.append(_group_table(metrics, slug, "by_kind", ours))
        parts.append(f"<h3>Per source ({escape(models[ours]['label'])})</h3>")
        parts.append(_group_table(metrics, slug, "by_source", ours))
        parts.append(_flag_comparison(metrics, slug, models))
        parts.append(_advice_table(metrics, slug))
        parts.append(_examples(examples.get(slug, {}), slug))
        sections.append("".join(parts))
    ev_plot = "".join(_img(p, name) for name, p in plots.get("evasion", {}).items())
    model_rows = "".join(
        f"<tr><th>{escape(v['label'])}</th>"
        + _cell(["models", k, "review"], v["review"], "threshold")
        + _cell(["models", k, "block"], v["block"], "threshold")
        + f"<td>{escape(v['how'])}</td></tr>"
        for k, v in models.items()
    )
    return f"""<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokenscam {escape(str(model["version"]))}: evaluation</title><style>{_CSS}</style></head>
<body><main>
<h1>tokenscam {escape(str(model["version"]))}: how good it is, and how we know</h1>
<p class="meta">Model <code>{escape(str(model["version"]))}</code> (sha256 {escape(str(model["sha256"])[:16])}…) ·
generated {escape(str(metrics.get("generated") or "–"))} · <code>{escape(str(metrics.get("command") or ""))}</code></p>
<p class="meta">{nav}<a href="#evasion">evasion</a> · <a href="#speed">speed</a> · <a href="#method">method</a></p>
<h2>At a glance</h2>
{_headline(metrics, models)}
<h3>Models and thresholds</h3>
<table><tr><th>model</th><th>review ≥</th><th>block ≥</th><th>how</th></tr>{model_rows}</table>
{_speed(metrics, models)}
{"".join(sections)}
{_evasion(metrics, models, ev_plot)}
<h2 id="method">Method</h2>
<div class="note">
<p><b>Our corpus, family-held-out.</b> Every row is scored by a model that did not see its family (a
whole scheme or genre) in training: <code>tokenscam.train.cross_validate</code> with the shipped
model's parameters, the same folds and code as the model card, so these figures are the card's.
Errors there are explained by the fold model that made them.</p>
<p><b>Real text written by others</b> (<code>--data</code> files) is scored by the shipped model; it was
never trained on. Rows without a label (other fraud types, out of scope) get a score distribution,
not precision or recall.</p>
<p><b>Baselines</b>, in the same run on the same rows: a keyword filter (a block list matched with
Aho-Corasick, flagged at one listed term) and jieba + TF-IDF + naive Bayes trained on the same corpus
and held out on the same folds. Naive Bayes is compared at equal recall: its thresholds catch the same
share of held-out scams as ours do at review and at block, so their false alarms can be set side by side.</p>
<p><b>ECE</b>: expected calibration error over ten equal-width score bins. <b>Brier</b>: mean squared
error of the score. Neither is given for the keyword filter, whose score is no probability.</p>
<p>Texts are shown only where they are ours (our corpus) or where the data's owner ran the report with
quoting on; personal data in them is masked. Highlights mark the tactics and the terms that pushed
the score up (hover for which).</p>
</div>
</main></body></html>
"""


def _distribution_by_model(slug: str, dist: Mapping[str, Any], models: Mapping[str, Any]) -> str:
    head = "".join(f"<th>{escape(label)}</th>" for _, label, _ in _DIST)
    body = "".join(
        f"<tr><th>{escape(models[k]['label'])}</th>"
        + "".join(
            _cell(["datasets", slug, "distribution", k, col], r.get(col), style)
            for col, _, style in _DIST
        )
        + "</tr>"
        for k, r in dist.items()
    )
    return f"<table><tr><th>model</th>{head}</tr>{body}</table>"
