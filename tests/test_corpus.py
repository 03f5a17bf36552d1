"""The corpus is ours, hand-written, well-formed, and big and varied enough to learn from."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest

from tokenscam.corpus import KINDS, corpus_hash, load_corpus
from tokenscam.errors import CorpusError


@pytest.fixture(scope="module")
def rows():
    return load_corpus()


def test_sizes_meet_the_issue(rows) -> None:
    kinds = Counter(r.kind for r in rows)
    assert len(rows) >= 5000
    assert kinds["scam"] >= 2000
    assert kinds["hard_negative"] + kinds["ordinary"] >= 3000
    assert kinds["hard_negative"] >= 1500


def test_labels_and_kinds_agree(rows) -> None:
    for r in rows:
        assert r.kind in KINDS
        assert (r.label == 1) == (r.kind == "scam")


def test_traditional_chinese_share(rows) -> None:
    share = sum(r.script == "hant" for r in rows) / len(rows)
    assert 0.08 <= share <= 0.25


def test_many_families_on_both_sides(rows) -> None:
    by_label = defaultdict(set)
    for r in rows:
        by_label[r.label].add(r.family)
    assert len(by_label[1]) >= 12 and len(by_label[0]) >= 12
    assert sum(f.startswith("other_") for f in by_label[1]) >= 3


def _shingles(text: str, n: int = 4) -> set[str]:
    t = "".join(text.split())
    return {t[i : i + n] for i in range(max(1, len(t) - n + 1))}


def test_no_near_duplicates(rows) -> None:
    """A slot-swapping template factory would produce many pairs sharing most 4-grams."""
    index: dict[str, list[int]] = defaultdict(list)
    sh = [_shingles(r.text) for r in rows]
    for i, s in enumerate(sh):
        for g in s:
            index[g].append(i)
    worst = []
    for i, s in enumerate(sh):
        if len(s) < 8:
            continue
        overlap: Counter[int] = Counter()
        for g in s:
            postings = index[g]
            if len(postings) > 200:
                continue  # very common 4-grams say nothing about copying
            overlap.update(j for j in postings if j > i)
        for j, c in overlap.items():
            jac = c / len(s | sh[j])
            if jac > 0.6:
                worst.append((jac, rows[i].id, rows[j].id))
    assert not worst, f"near-duplicate pairs: {sorted(worst, reverse=True)[:10]}"


def test_hash_is_stable_and_order_free(rows) -> None:
    assert corpus_hash(rows) == corpus_hash(list(reversed(rows)))


def test_malformed_rows_are_named(tmp_path) -> None:
    good = {"id": "zz-0001", "text": "你好", "label": 0, "kind": "ordinary", "family": "chat"}
    (tmp_path / "a.jsonl").write_text(
        json.dumps(good, ensure_ascii=False) + "\n{oops\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match=r"a\.jsonl:2: not valid JSON"):
        load_corpus(tmp_path)


def test_label_kind_mismatch_is_refused(tmp_path) -> None:
    bad = {"id": "zz-0001", "text": "你好", "label": 1, "kind": "ordinary", "family": "chat"}
    (tmp_path / "a.jsonl").write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="does not agree"):
        load_corpus(tmp_path)


def test_duplicate_text_is_refused(tmp_path) -> None:
    a = {"id": "zz-0001", "text": "你好", "label": 0, "kind": "ordinary", "family": "chat"}
    b = {**a, "id": "zz-0002"}
    (tmp_path / "a.jsonl").write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in (a, b)) + "\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match="duplicate text"):
        load_corpus(tmp_path)
