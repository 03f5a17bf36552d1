from __future__ import annotations

import json

import pytest

from tokenscam import Detector, ModelCompatibilityError, ModelError, ModelIntegrityError
from tokenscam.artifact import load_artifact, load_pipeline, save_artifact, sha256_file
from tokenscam.model import compile_pipeline


@pytest.fixture
def saved(tmp_path, small_pipeline):
    card = {"thresholds": {"review": 0.5, "block": 0.9}, "metrics": {}}
    joblib_path, card_path = save_artifact(
        small_pipeline, compile_pipeline(small_pipeline), tmp_path, "9.9.9", card
    )
    return joblib_path, card_path


def test_round_trip(saved) -> None:
    joblib_path, card_path = saved
    artifact, card = load_artifact(card_path)
    assert card["sha256"] == sha256_file(joblib_path)
    assert card["segmentation"]["engine"] == "rjieba"
    assert "scikit-learn" in card["libraries"]
    det = Detector.load(joblib_path)
    assert det.version == "9.9.9" and 0 <= det.score("内部渠道三折").score <= 1
    pipe = load_pipeline(artifact)
    assert pipe.predict_proba(["内部渠道三折"])[0, 1] == pytest.approx(
        det.score("内部渠道三折").score, abs=1e-9
    )


def test_tampered_file_is_refused_before_unpickling(saved, monkeypatch) -> None:
    joblib_path, card_path = saved
    with joblib_path.open("ab") as fh:
        fh.write(b"\0")
    import joblib

    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("unpickled a file whose checksum did not match")

    monkeypatch.setattr(joblib, "load", boom)
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        load_artifact(card_path)


@pytest.mark.parametrize(
    ("library", "value"),
    [("scikit-learn", "0.0.1"), ("numpy", "1.0.0"), ("scipy", "0.1.0")],
)
def test_other_library_versions_are_refused(saved, library, value) -> None:
    _, card_path = saved
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["libraries"][library] = value
    card_path.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelCompatibilityError, match=library):
        load_artifact(card_path)


def test_other_segmenter_is_refused(saved) -> None:
    _, card_path = saved
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["segmentation"]["userdict_sha256"] = "0" * 64
    card_path.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelCompatibilityError, match="segmentation"):
        load_artifact(card_path)


def test_missing_files_are_clear(tmp_path) -> None:
    with pytest.raises(ModelError, match="no model card"):
        load_artifact(tmp_path)
    (tmp_path / "tokenscam-1.0.json").write_text('{"sha256": "x", "file": "nope.joblib"}')
    with pytest.raises(ModelError, match="does not exist"):
        load_artifact(tmp_path / "tokenscam-1.0.json")


def test_shipped_model_is_small_and_verified() -> None:
    from tokenscam.artifact import find_card

    card_path = find_card()
    card = json.loads(card_path.read_text(encoding="utf-8"))
    joblib_path = card_path.parent / card["file"]
    assert joblib_path.stat().st_size <= 20 * 1024 * 1024
    assert sha256_file(joblib_path) == card["sha256"]
    for key in (
        "version",
        "created",
        "corpus",
        "parameters",
        "thresholds",
        "metrics",
        "libraries",
        "segmentation",
    ):
        assert key in card
