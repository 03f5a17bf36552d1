"""``--report REPORT.html``: one self-contained page a moderator can open or attach to a case.

Sender ranking, the flagged messages with their evidence highlighted, a score histogram and a
timeline. Everything user-supplied is escaped; the page loads nothing from anywhere (inline CSS
and SVG, no scripts, a Content-Security-Policy that forbids the rest).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

__all__ = ["render_report"]

_CSS = """
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.9em}
th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eaeef2}td.n{text-align:right;white-space:nowrap}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px 10px;margin:8px 0}
.meta{color:#57606a;font-size:.85em}.text{white-space:pre-wrap;word-break:break-word;margin-top:4px}
mark{background:#ffd8a8;padding:0 1px}.block{color:#cf222e;font-weight:600}.review{color:#9a6700;font-weight:600}
.tag{display:inline-block;background:#ddf4ff;border-radius:10px;padding:0 6px;margin:1px;font-size:.8em}
svg{background:#fff;border:1px solid #d0d7de}
@media (max-width:700px){table{font-size:.8em}}
"""


def _highlight(text: str, tactics: list[dict[str, Any]]) -> str:
    spans = sorted(
        (int(ev["start"]), int(ev["end"])) for t in tactics for ev in t.get("evidence", [])
    )
    merged: list[list[int]] = []
    for s, e in spans:
        if 0 <= s < e <= len(text):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(escape(text[pos:s]) + "<mark>" + escape(text[s:e]) + "</mark>")
        pos = e
    out.append(escape(text[pos:]))
    return "".join(out)


def _histogram(bins: list[int]) -> str:
    width, height, pad = 600, 160, 20
    top = max(bins) or 1
    bar = (width - 2 * pad) / len(bins)
    parts = [
        f'<svg viewBox="0 0 {width} {height + 30}" width="100%" role="img" '
        f'aria-label="score histogram">'
    ]
    for i, n in enumerate(bins):
        h = (height - pad) * n / top
        x = pad + i * bar
        color = "#cf222e" if i >= 18 else "#bf8700" if i >= 10 else "#8c959f"
        parts.append(
            f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
            f'fill="{color}"><title>{i / 20:.2f}–{(i + 1) / 20:.2f}: {n}</title></rect>'
        )
    for i in range(0, 21, 5):
        x = pad + i * bar
        parts.append(
            f'<text x="{x:.1f}" y="{height + 16}" font-size="11" text-anchor="middle">{i / 20:.2f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _timeline(days: dict[str, list[int]]) -> str:
    if not days:
        return "<p class=meta>No timestamps in this export.</p>"
    keys = sorted(days)
    width, height, pad = 600, 160, 24
    top = max(v[0] for v in days.values()) or 1
    step = (width - 2 * pad) / max(1, len(keys))
    parts = [
        f'<svg viewBox="0 0 {width} {height + 30}" width="100%" role="img" aria-label="timeline">'
    ]
    for i, day in enumerate(keys):
        total, flagged = days[day]
        x = pad + i * step
        h_all = (height - pad) * total / top
        h_bad = (height - pad) * flagged / top
        parts.append(
            f'<rect x="{x:.1f}" y="{height - h_all:.1f}" width="{max(step - 1, 1):.1f}" '
            f'height="{h_all:.1f}" fill="#8c959f"><title>{escape(day)}: {total} messages, '
            f"{flagged} flagged</title></rect>"
        )
        if flagged:
            parts.append(
                f'<rect x="{x:.1f}" y="{height - h_bad:.1f}" width="{max(step - 1, 1):.1f}" '
                f'height="{h_bad:.1f}" fill="#cf222e"/>'
            )
    parts.append(f'<text x="{pad}" y="{height + 16}" font-size="11">{escape(keys[0])}</text>')
    parts.append(
        f'<text x="{width - pad}" y="{height + 16}" font-size="11" text-anchor="end">'
        f"{escape(keys[-1])}</text></svg>"
    )
    return "".join(parts)


def render_report(
    *,
    source: str,
    source_format: str,
    model_version: str,
    thresholds: dict[str, float],
    summary: dict[str, Any],
    histogram: list[int],
    timeline: dict[str, list[int]],
    flagged: list[dict[str, Any]],
    labels: dict[str, str],
) -> str:
    """The whole page. ``flagged`` is the flagged messages (highest score first)."""
    counts = summary["counts"]
    verdicts = summary["verdicts"]
    rows = []
    for i, s in enumerate(summary["senders"][:100], 1):
        tactics = " ".join(
            f"<span class=tag>{escape(labels.get(t, t))} ×{n}</span>"
            for t, n in s["tactics"].items()
        )
        handles = "<br>".join(
            f"{escape(k)}: {escape(', '.join(v))}" for k, v in s["handles"].items()
        )
        rows.append(
            f"<tr><td class=n>{i}</td><td>{escape(s['sender'])}<div class=meta>{escape(s['sender_id'])}"
            f"</div></td><td class=n>{s['messages']}</td><td class=n>{s['flagged']}</td>"
            f"<td class=n>{s['expected_pitches']:.2f}</td><td class=n>{s['max_score']:.3f}</td>"
            f"<td>{tactics}</td><td>{handles}</td>"
            f"<td class=meta>{escape(s['first'] or '')}<br>{escape(s['last'] or '')}</td></tr>"
        )
    cards = []
    for m in flagged:
        tags = " ".join(f"<span class=tag>{escape(t['label'])}</span>" for t in m["tactics"])
        cards.append(
            f'<div class=card><div class=meta><span class="{escape(m["verdict"])}">'
            f"{escape(m['verdict'].upper())} {m['score']:.3f}</span> · {escape(m['sender'])} "
            f"({escape(m['sender_id'])}) · {escape(m['chat'])} · {escape(m['timestamp'] or '')} · "
            f"#{escape(str(m['message_id']))}</div><div>{tags}</div>"
            f"<div class=text>{_highlight(m['text'], m['tactics'])}</div></div>"
        )
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>tokenscam report — {escape(source)}</title><style>{_CSS}</style></head>
<body><main>
<h1>tokenscam 聊天记录风险报告</h1>
<p class=meta>{escape(source)} · {escape(source_format)} · model {escape(model_version)} ·
review ≥ {thresholds["review"]:.3f}, block ≥ {thresholds["block"]:.3f} · generated {escape(generated)}</p>
<p>Read {counts["read"]} entries: {counts["scored"]} messages scored, {counts["skipped_total"]} skipped
(media and system), {counts["bad"]} malformed. Verdicts: {verdicts["block"]} block, {verdicts["review"]}
review, {verdicts["pass"]} pass.</p>
<h2>Senders by risk (expected pitches = sum of scores)</h2>
<table><thead><tr><th>#</th><th>sender</th><th>msgs</th><th>flagged</th><th>expected pitches</th>
<th>max</th><th>tactics</th><th>handles</th><th>first / last</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Score histogram</h2>{_histogram(histogram)}
<h2>Timeline (grey: messages, red: flagged)</h2>{_timeline(timeline)}
<h2>Flagged messages ({len(flagged)} shown, highest score first)</h2>
{"".join(cards) or "<p class=meta>None.</p>"}
</main></body></html>
"""
