from __future__ import annotations

import numpy as np
import pytest

from tokenscam.evasion import EVASIONS, evade
from tokenscam.heldout import KEYWORD, NAIVE_BAYES, OURS, config_from_card, run_heldout


@pytest.fixture(scope="module")
def heldout(eval_rows, eval_config):
    names = ["separators", "near_glyphs", "split_two"]
    return run_heldout(eval_rows, eval_config, evasions=names, n_jobs=2)


def test_every_row_gets_a_held_out_score_from_every_model(heldout, eval_rows) -> None:
    assert set(heldout.scores) == {OURS, KEYWORD, NAIVE_BAYES}
    for s in heldout.scores.values():
        assert s.shape == (len(eval_rows),) and not np.isnan(s).any()
    assert set(heldout.fold) == {0, 1, 2}
    scams = [i for i, r in enumerate(eval_rows) if r.label == 1]
    assert sorted(heldout.scam_idx) == scams


def test_fold_models_reproduce_the_held_out_scores(heldout, eval_rows, detector) -> None:
    from tokenscam import Detector
    from tokenscam.scorer import CompiledModel

    for k, compiled in heldout.compiled.items():
        fold_detector = Detector(CompiledModel(compiled), detector.card)
        idx = np.flatnonzero(heldout.fold == k)[:40]
        s = fold_detector.scores([eval_rows[i].text for i in idx])
        np.testing.assert_allclose(s, heldout.scores[OURS][idx], atol=1e-9)


def test_trained_evasions_come_from_cross_validation_itself(heldout) -> None:
    cv = heldout.cv
    np.testing.assert_array_equal(heldout.evasion["separators"][OURS], cv.evasion["separators"])


def test_new_evasions_are_scored_by_the_fold_model_that_held_the_scam_out(
    heldout, eval_rows, detector
) -> None:
    from tokenscam import Detector
    from tokenscam.scorer import CompiledModel

    for name in ("near_glyphs", "split_two"):
        scores = heldout.evasion[name][OURS]
        assert len(scores) == len(heldout.scam_idx)
        for j in (0, len(scores) // 2, len(scores) - 1):
            i = int(heldout.scam_idx[j])
            fold_detector = Detector(
                CompiledModel(heldout.compiled[int(heldout.fold[i])]), detector.card
            )
            parts = evade(eval_rows[i].text, name, eval_rows[i].id)
            assert scores[j] == pytest.approx(max(fold_detector.scores(list(parts))), abs=1e-9)
        assert heldout.changed[name].sum() > 0
    for model in (KEYWORD, NAIVE_BAYES):
        assert len(heldout.evasion["split_two"][model]) == len(heldout.scam_idx)


def test_spacing_out_a_pitch_defeats_the_keyword_filter_more_than_ours(heldout) -> None:
    scams = heldout.scam_idx
    kw_before = np.mean(heldout.scores[KEYWORD][scams] >= 0.5)
    kw_after = np.mean(heldout.evasion["separators"][KEYWORD] >= 0.5)
    assert kw_after < kw_before


def test_baselines_alone_skip_our_cross_validation(eval_rows, eval_config) -> None:
    only = run_heldout(eval_rows, eval_config, ours=False)
    assert set(only.scores) == {KEYWORD, NAIVE_BAYES} and only.cv is None
    with pytest.raises(ValueError):
        run_heldout(eval_rows, eval_config, ours=False, evasions=["leet"])
    with pytest.raises(KeyError):
        run_heldout(eval_rows, eval_config, evasions=["rot13"])


def test_the_card_configuration_is_the_training_configuration(detector) -> None:
    cfg = config_from_card(detector.card)
    assert cfg.to_dict() == detector.card["parameters"]
    assert len(EVASIONS) >= 15
