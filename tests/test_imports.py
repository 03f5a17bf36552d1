from __future__ import annotations

import subprocess
import sys

import tokenscam


def test_library_never_imports_flask() -> None:
    code = "import sys, tokenscam, tokenscam.cli, tokenscam.batch; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_api_is_sorted_and_complete() -> None:
    assert tokenscam.__all__ == sorted(tokenscam.__all__, key=str.casefold)
    for name in tokenscam.__all__:
        assert hasattr(tokenscam, name)


def test_scoring_needs_no_scikit_learn() -> None:
    """The shipped model scores from plain arrays: loading it must not import scikit-learn."""
    code = (
        "import sys; from tokenscam import Detector; d = Detector.load(); d.score('内部渠道三折');"
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
