"""The one place that writes and loads model artifacts.

A joblib file is a pickle: loading it runs code. So an artifact is only unpickled after its
model card (plain JSON) has vouched for it — the file's SHA-256 must match the card, and the
libraries that pickled it must match the ones installed — and otherwise it is refused with an
error that says what differs.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import joblib

from .errors import ModelCompatibilityError, ModelError, ModelIntegrityError
from .segment import engine_info

__all__ = [
    "FORMAT",
    "default_model_dir",
    "find_card",
    "library_versions",
    "save_artifact",
    "load_artifact",
    "load_pipeline",
    "sha256_file",
]

FORMAT = 1
# Libraries whose pickles must come from the same version (sklearn) or the same major version.
_EXACT = ("scikit-learn",)
_MAJOR = ("numpy", "scipy", "joblib")


def default_model_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "models"


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("scikit-learn", "numpy", "scipy", "joblib", "rjieba", "opencc", "tokenscam"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[name] = "missing"
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _version_key(card: Path) -> tuple[int, ...]:
    stem = card.stem.removeprefix("tokenscam-")
    try:
        return tuple(int(p) for p in stem.split("."))
    except ValueError:
        return (-1,)


def find_card(path: str | Path | None = None) -> Path:
    """The model card to load: ``path`` itself (a card or its joblib), or the newest in ``models/``."""
    if path is None:
        directory = default_model_dir()
        cards = sorted(directory.glob("tokenscam-*.json"), key=_version_key)
        if not cards:
            raise ModelError(
                f"no model card (tokenscam-*.json) in {directory}; run `tokenscam train`"
            )
        return cards[-1]
    p = Path(path)
    if p.is_dir():
        return find_card_in(p)
    if p.suffix == ".joblib":
        p = p.with_suffix(".json")
    if not p.exists():
        raise ModelError(f"model card {p} does not exist")
    return p


def find_card_in(directory: Path) -> Path:
    cards = sorted(directory.glob("tokenscam-*.json"), key=_version_key)
    if not cards:
        raise ModelError(f"no model card (tokenscam-*.json) in {directory}")
    return cards[-1]


def save_artifact(
    pipeline: Any,
    compiled: dict[str, Any],
    directory: Path,
    model_version: str,
    card: dict[str, Any],
) -> tuple[Path, Path]:
    """Write ``tokenscam-<version>.joblib`` and its card (which records the file's SHA-256).

    The joblib holds the compiled model as plain arrays and lists, which is all scoring needs,
    and the fitted scikit-learn pipeline as pickled bytes, unpickled only on request
    (:func:`load_pipeline`) — so scoring never imports scikit-learn or builds estimator objects.
    """
    directory.mkdir(parents=True, exist_ok=True)
    joblib_path = directory / f"tokenscam-{model_version}.joblib"
    card_path = joblib_path.with_suffix(".json")
    payload = {"compiled": compiled, "pipeline": pickle.dumps(pipeline, protocol=5)}
    joblib.dump(payload, joblib_path, compress=3)
    full = {
        "format": FORMAT,
        "version": model_version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "file": joblib_path.name,
        "size_bytes": joblib_path.stat().st_size,
        "sha256": sha256_file(joblib_path),
        "libraries": library_versions(),
        "segmentation": engine_info(),
        **card,
    }
    card_path.write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return joblib_path, card_path


def _major(v: str) -> str:
    return v.split(".", 1)[0]


def check_compatible(card: dict[str, Any]) -> None:
    """Refuse an artifact built with libraries whose pickles we cannot trust to load here."""
    recorded = card.get("libraries", {})
    here = library_versions()
    problems = []
    for name in _EXACT:
        if recorded.get(name) != here.get(name):
            problems.append(f"{name} {recorded.get(name)} (installed {here.get(name)})")
    for name in _MAJOR:
        if _major(str(recorded.get(name))) != _major(here.get(name, "")):
            problems.append(f"{name} {recorded.get(name)} (installed {here.get(name)})")
    if card.get("segmentation") != engine_info():
        problems.append(f"segmentation {card.get('segmentation')} (installed {engine_info()})")
    if card.get("format") != FORMAT:
        problems.append(f"artifact format {card.get('format')} (this tokenscam reads {FORMAT})")
    if problems:
        raise ModelCompatibilityError(
            "model was built with other libraries; retrain with `tokenscam train` or install the "
            "recorded versions: " + "; ".join(problems)
        )


def load_artifact(path: str | Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify, then unpickle. Returns ``(artifact, card)``."""
    card_path = find_card(path)
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read model card {card_path}: {exc}") from exc
    if not isinstance(card, dict) or "sha256" not in card or "file" not in card:
        raise ModelError(f"{card_path} is not a tokenscam model card")
    joblib_path = card_path.parent / card["file"]
    if not joblib_path.is_file():
        raise ModelError(f"model file {joblib_path} named by {card_path} does not exist")
    actual = sha256_file(joblib_path)
    if actual != card["sha256"]:
        raise ModelIntegrityError(
            f"{joblib_path}: SHA-256 {actual} does not match {card['sha256']} in {card_path.name}; "
            "refusing to unpickle it"
        )
    check_compatible(card)
    artifact = joblib.load(joblib_path)
    if not isinstance(artifact, dict) or "compiled" not in artifact or "pipeline" not in artifact:
        raise ModelError(f"{joblib_path} does not hold a tokenscam model")
    return artifact, card


def load_pipeline(artifact: dict[str, Any]) -> Any:
    """The fitted scikit-learn pipeline of an artifact already verified by :func:`load_artifact`."""
    return pickle.loads(artifact["pipeline"])  # noqa: S301 - bytes from a SHA-256-verified file
