"""``summary.md``: the report's headline table (and the evasion suite's) in Markdown, the ones
the README shows.

Generated from ``metrics.json`` alone, so a test can regenerate it and check that the README's
table is the committed report's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["headline_markdown"]


def _rate(v: Any) -> str:
    return "–" if v is None else f"{float(v):.3f}"


def _share(v: Any) -> str:
    return "–" if v is None else f"{100 * float(v):.2f} %"


def headline_markdown(metrics: Mapping[str, Any]) -> str:
    """One row per headline figure, one column per model (ours first)."""
    models = metrics["models"]
    keys = list(models)
    rows: list[tuple[str, list[str]]] = []

    def get(node: Any, *path: str) -> Any:
        for key in path:
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        return node

    for slug, d in metrics["datasets"].items():
        if slug == "corpus":
            own = d["corpus_only"]
            rows.append(
                (
                    "our corpus, family-held-out: PR-AUC",
                    [_rate(get(own, k, "pr_auc")) for k in keys],
                )
            )
            rows.append(
                (
                    "… at `review`: precision / recall",
                    [
                        f"{_rate(get(own, k, 'precision'))} / {_rate(get(own, k, 'recall'))}"
                        for k in keys
                    ],
                )
            )
            rows.append(
                (
                    "… flagged: our look-alikes / everyday text",
                    [
                        f"{_share(get(d, 'by_kind', k, 'hard_negative', 'false_positive_rate'))}"
                        f" / {_share(get(d, 'by_kind', k, 'ordinary', 'false_positive_rate'))}"
                        for k in keys
                    ],
                )
            )
        elif d["positives"] and d["negatives"]:
            rows.append(
                (f"`{d['title']}`: PR-AUC", [_rate(get(d, "models", k, "pr_auc")) for k in keys])
            )
            rows.append(
                (
                    f"`{d['title']}` at `review`: precision / recall",
                    [
                        f"{_rate(get(d, 'models', k, 'precision'))} / "
                        f"{_rate(get(d, 'models', k, 'recall'))}"
                        for k in keys
                    ],
                )
            )
        elif d["negatives"]:
            rows.append(
                (
                    f"`{d['title']}` ({d['negatives']:,} real, not scams): flagged",
                    [_share(get(d, "models", k, "false_positive_rate")) for k in keys],
                )
            )
        if d.get("distribution"):
            rows.append(
                (
                    f"`{d['title']}` ({d['unlabelled']:,}, unlabelled): flagged",
                    [_share(get(d, "distribution", k, "flagged_share")) for k in keys],
                )
            )
    ev = metrics.get("evasion")
    if ev:

        def worst(k: str) -> str:
            per = [
                (t["models"][k]["recall_after"], name)
                for name, t in ev["transforms"].items()
                if k in t["models"]
            ]
            if not per:
                return "–"
            recall, name = min(per)
            before = next(iter(ev["transforms"].values()))["models"][k]["recall_before"]
            return f"{_rate(before)} → {_rate(recall)} ({name})"

        rows.append(
            (
                f"held-out scams under {len(ev['transforms'])} evasions: recall → worst",
                [worst(k) for k in keys],
            )
        )
    sp = metrics.get("speed")
    if sp:
        speeds = [get(sp, "models", k, "messages_per_second") for k in keys]
        rows.append(
            (
                "messages/s (one core, in process)",
                ["–" if v is None else f"{v:,.0f}" for v in speeds],
            )
        )
    header = "| | " + " | ".join(models[k]["label"] for k in keys) + " |"
    rule = "|---|" + "---:|" * len(keys)
    lines = [header, rule] + [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    if ev:
        lines += ["", *_evasion_table(ev, models)]
    return "\n".join(lines) + "\n"


def _evasion_table(ev: Mapping[str, Any], models: Mapping[str, Any]) -> list[str]:
    """Recall of the held-out scams before → after each evasion, one column per model."""
    keys = [k for k in models if any(k in t["models"] for t in ev["transforms"].values())]
    lines = [
        f"| evasion ({ev['scams']:,} held-out scams, recall at `review`) | "
        + " | ".join(models[k]["label"] for k in keys)
        + " |",
        "|---|" + "---:|" * len(keys),
    ]
    for name, t in ev["transforms"].items():
        cells = []
        for k in keys:
            m = t["models"].get(k)
            cells.append(
                "–" if m is None else f"{_rate(m['recall_before'])} → {_rate(m['recall_after'])}"
            )
        lines.append(f"| `{name}` ({t['group']}) | " + " | ".join(cells) + " |")
    return lines
