"""One exception hierarchy: callers catch :class:`TokenscamError` and know it came from us."""

from __future__ import annotations

__all__ = [
    "TokenscamError",
    "ModelError",
    "ModelIntegrityError",
    "ModelCompatibilityError",
    "CorpusError",
    "InputError",
    "BadRecord",
]


class TokenscamError(Exception):
    """Base class of every error tokenscam raises on purpose."""


class ModelError(TokenscamError):
    """The model artifact cannot be used."""


class ModelIntegrityError(ModelError):
    """The artifact's bytes do not match the SHA-256 in its model card: it is not loaded."""


class ModelCompatibilityError(ModelError):
    """The artifact was built with library versions this environment does not have."""


class CorpusError(TokenscamError):
    """The training corpus is malformed."""


class InputError(TokenscamError):
    """An input file cannot be read at all (missing, a directory, wrong format, undecodable)."""


class BadRecord(TokenscamError):
    """One record of an input file is malformed; the rest of the file is still scored."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.source = source
        self.line = line
        self.message = message
