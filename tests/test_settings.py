"""The service's settings: defaults, then a TOML file, then TOKENSCAM_* variables; the README
documents every one of them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tokenscam.settings import SETTINGS, SettingsError, is_loopback, load_settings, parse_api_keys

README = Path(__file__).resolve().parents[1] / "README.md"
SHA = hashlib.sha256(b"tsk_example").hexdigest()


def test_defaults() -> None:
    values = load_settings(environ={})
    assert values["HOST"] == "127.0.0.1" and values["PORT"] == 8000
    assert values["STORE_TEXT"] is False and values["REQUIRE_API_KEYS"] == "auto"


def test_file_then_environment(tmp_path) -> None:
    conf = tmp_path / "tokenscam.toml"
    conf.write_text(
        f'port = 9000\nSTORE_TEXT = true\nhost = "0.0.0.0"\n'
        f'[api_keys]\n"partner" = {{ sha256 = "{SHA}", rate_limit = 5 }}\n',
        encoding="utf-8",
    )
    values = load_settings(environ={"TOKENSCAM_CONFIG": str(conf), "TOKENSCAM_PORT": "9100"})
    assert values["PORT"] == 9100  # the environment wins over the file
    assert values["STORE_TEXT"] is True and values["HOST"] == "0.0.0.0"
    assert values["API_KEYS"]["partner"]["rate_limit"] == 5
    assert values["API_KEYS"]["partner"]["scopes"] == ["score", "export", "model"]
    env = {"TOKENSCAM_API_KEYS": f'{{"b": {{"sha256": "{SHA}", "scopes": ["score"]}}}}'}
    assert load_settings(environ=env)["API_KEYS"]["b"]["scopes"] == ["score"]


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"TOKENSCAM_PORT": "eighty"}, "PORT"),
        ({"TOKENSCAM_STORE_TEXT": "perhaps"}, "STORE_TEXT"),
        ({"TOKENSCAM_API_KEYS": "not json"}, "API_KEYS"),
        ({"TOKENSCAM_API_KEYS": '{"a": {"sha256": "short"}}'}, "sha256"),
        ({"TOKENSCAM_CONFIG": "/nonexistent/tokenscam.toml"}, "cannot read"),
    ],
)
def test_bad_values_are_clear_errors(env, fragment) -> None:
    with pytest.raises(SettingsError, match=fragment):
        load_settings(environ=env)


def test_unknown_keys_in_the_file_are_refused(tmp_path) -> None:
    conf = tmp_path / "t.toml"
    conf.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown setting 'prot'"):
        load_settings(conf)


def test_api_key_entries() -> None:
    with pytest.raises(SettingsError, match="scopes"):
        parse_api_keys({"a": {"sha256": SHA, "scopes": ["admin"]}})
    with pytest.raises(SettingsError, match="rate_limit"):
        parse_api_keys({"a": {"sha256": SHA, "rate_limit": 0}})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("127.8.0.1", True), ("0.0.0.0", False), ("192.168.1.4", False), ("example.com", False)],
)  # fmt: skip
def test_is_loopback(host, loopback) -> None:
    assert is_loopback(host) is loopback


def test_readme_documents_every_setting() -> None:
    text = README.read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `TOKENSCAM_([A-Z_]+)` \| (.+?) \|", text, re.M))
    assert set(documented) == {s.name for s in SETTINGS}
    for s in SETTINGS:
        shown = documented[s.name].strip("`")
        if s.kind == "keys" or s.default == "":
            continue
        expected = str(s.default).lower() if isinstance(s.default, bool) else str(s.default)
        assert shown == expected, s.name
