"""The service's settings: every name, default and meaning in one table, and the loader.

Precedence, lowest first: the defaults below, a TOML file (``TOKENSCAM_CONFIG`` or ``--config``;
keys are the names below in any case), then ``TOKENSCAM_<NAME>`` environment variables. The
loader takes the environment as an argument: only the entry points (the CLI and the app
factory) read the real one. The README's settings table is checked against :data:`SETTINGS`.
"""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TokenscamError

__all__ = [
    "SETTINGS",
    "Setting",
    "SettingsError",
    "load_settings",
    "is_loopback",
    "default_instance_path",
    "database_url",
    "parse_api_keys",
]


class SettingsError(TokenscamError):
    """A setting has a value of the wrong kind, or the configuration file cannot be read."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    kind: str  # str | int | bool | auto | keys
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("MODEL", "", "str", "Model card or joblib to serve (default: the shipped model)."),
    Setting("HOST", "127.0.0.1", "str", "Address `tokenscam serve` listens on."),
    Setting("PORT", 8000, "int", "Port `tokenscam serve` listens on."),
    Setting("WORKERS", 2, "int", "gunicorn worker processes (one per core is right)."),
    Setting(
        "INSTANCE_PATH",
        "",
        "str",
        "Folder for the database, secret key and metrics (default: instance/ in the checkout).",
    ),
    Setting(
        "DATABASE_URL",
        "",
        "str",
        "sqlite:///FILE or postgresql://… (default: "
        "SQLite file tokenscam.sqlite3 in the instance folder).",
    ),
    Setting(
        "SECRET_KEY",
        "",
        "str",
        "Signs session cookies (default: generated once and kept in the instance folder).",
    ),
    Setting(
        "STORE_TEXT",
        False,
        "bool",
        "Keep message text in the review queue (off: only its SHA-256, length, score and tactics).",
    ),
    Setting("STORE_API_REVIEWS", False, "bool", "Queue API results whose verdict is review."),
    Setting(
        "REQUIRE_API_KEYS",
        "auto",
        "auto",
        "auto: API keys are required unless the "
        "service listens on loopback and the client is local; true / false force it.",
    ),
    Setting(
        "API_KEYS",
        {},
        "keys",
        "Client keys, stored hashed: {name: {sha256, rate_limit, "
        "scopes}} (`tokenscam keys new NAME` makes one).",
    ),
    Setting(
        "RATE_LIMIT", 600, "int", "Requests per minute per API key (a key's own rate_limit wins)."
    ),
    Setting("RATE_BURST", 60, "int", "Requests a key may send at once before the rate applies."),
    Setting("MAX_MESSAGES", 1000, "int", "Messages in one POST /api/v1/score."),
    Setting("MAX_CHARS", 5000, "int", "Characters in one message."),
    Setting("MAX_UPLOAD_MB", 32, "int", "Largest request body: JSON or an uploaded export."),
    Setting(
        "FORM_REQUIRES_LOGIN",
        "auto",
        "auto",
        "auto: the moderator form needs sign-in unless the service listens on loopback.",
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        True,
        "bool",
        "Send the session cookie over HTTPS only (browsers treat localhost as secure).",
    ),
    Setting(
        "EXPORT_TIMEZONE",
        "Asia/Shanghai",
        "str",
        "Time zone of uploaded exports that record only local time.",
    ),
    Setting("LOG_LEVEL", "INFO", "str", "Logging level of the service."),
)
_BY_NAME = {s.name: s for s in SETTINGS}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def default_instance_path() -> Path:
    """``instance/`` beside ``models/`` in the checkout (Flask's default for the service)."""
    from .artifact import default_model_dir

    return default_model_dir().parent / "instance"


@functools.lru_cache(maxsize=256)
def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is on this machine's loopback."""
    import ipaddress

    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _coerce(setting: Setting, value: Any, where: str) -> Any:
    kind = setting.kind
    if kind == "str":
        if not isinstance(value, str):
            raise SettingsError(f"{where}: {setting.name} must be a string")
        return value
    if kind == "int":
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise SettingsError(f"{where}: {setting.name} must be a whole number") from None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise SettingsError(f"{where}: {setting.name} must be a whole number ≥ 0")
        return value
    if kind in ("bool", "auto"):
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            v = value.strip().lower()
            if v in _TRUE:
                return True
            if v in _FALSE:
                return False
            if kind == "auto" and v == "auto":
                return "auto"
        choices = "true/false" + ("/auto" if kind == "auto" else "")
        raise SettingsError(f"{where}: {setting.name} must be {choices}, got {value!r}")
    if kind == "keys":
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError as exc:
                raise SettingsError(f"{where}: {setting.name} is not valid JSON ({exc})") from exc
        return parse_api_keys(value, where)
    raise AssertionError(kind)  # pragma: no cover


_SCOPES = ("score", "export", "model")


def parse_api_keys(value: Any, where: str = "API_KEYS") -> dict[str, dict[str, Any]]:
    """``{name: {"sha256": hex, "rate_limit": int | None, "scopes": [...]}}`` from the
    configured form, where a bare hex string stands for a key with defaults."""
    if not isinstance(value, Mapping):
        raise SettingsError(f"{where}: API_KEYS must map key names to hashes")
    keys: dict[str, dict[str, Any]] = {}
    for name, entry in value.items():
        if isinstance(entry, str):
            entry = {"sha256": entry}
        if not isinstance(entry, Mapping):
            raise SettingsError(f"{where}: API key {name!r} must be a hash or a table")
        digest = str(entry.get("sha256", "")).lower().removeprefix("sha256:")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise SettingsError(
                f"{where}: API key {name!r} needs sha256 = 64 hex digits (never the key itself)"
            )
        rate = entry.get("rate_limit")
        if rate is not None and (not isinstance(rate, int) or isinstance(rate, bool) or rate < 1):
            raise SettingsError(f"{where}: API key {name!r}: rate_limit must be a number ≥ 1")
        scopes = entry.get("scopes", list(_SCOPES))
        if not isinstance(scopes, list) or any(s not in _SCOPES for s in scopes):
            raise SettingsError(f"{where}: API key {name!r}: scopes must be a subset of {_SCOPES}")
        unknown = set(entry) - {"sha256", "rate_limit", "scopes"}
        if unknown:
            raise SettingsError(f"{where}: API key {name!r}: unknown field(s) {sorted(unknown)}")
        keys[str(name)] = {"sha256": digest, "rate_limit": rate, "scopes": list(scopes)}
    return keys


def load_settings(
    config_file: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Defaults, then the TOML file, then ``TOKENSCAM_*`` variables from ``environ``."""
    environ = environ or {}
    values = {s.name: s.default for s in SETTINGS}
    path = config_file or environ.get("TOKENSCAM_CONFIG") or None
    if path:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read configuration file {p}: {exc.strerror}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{p}: not valid TOML ({exc})") from exc
        for key, value in data.items():
            setting = _BY_NAME.get(key.upper())
            if setting is None:
                raise SettingsError(f"{p}: unknown setting {key!r}")
            values[setting.name] = _coerce(setting, value, str(p))
    for setting in SETTINGS:
        raw = environ.get(f"TOKENSCAM_{setting.name}")
        if raw is not None:
            values[setting.name] = _coerce(setting, raw, f"TOKENSCAM_{setting.name}")
    return values


def database_url(values: Mapping[str, Any], instance_path: Path) -> str:
    return values.get("DATABASE_URL") or f"sqlite:///{instance_path / 'tokenscam.sqlite3'}"
