"""tokenscam: detect Chinese-language token-hoarding investment scams, with the evidence.

>>> from tokenscam import Detector          # doctest: +SKIP
>>> Detector.load().score("现在不囤词元，以后买不起！加V私聊").verdict  # doctest: +SKIP
'block'
"""

from importlib.metadata import PackageNotFoundError, version

from .detector import VERDICTS, Detector, Result, Span, TacticResult, Term
from .errors import (
    BadRecord,
    CorpusError,
    InputError,
    ModelCompatibilityError,
    ModelError,
    ModelIntegrityError,
    TokenscamError,
)

try:
    __version__ = version("tokenscam")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "__version__",
    "BadRecord",
    "CorpusError",
    "Detector",
    "InputError",
    "ModelCompatibilityError",
    "ModelError",
    "ModelIntegrityError",
    "Result",
    "Span",
    "TacticResult",
    "Term",
    "TokenscamError",
    "VERDICTS",
]
