"""The service's commands: `tokenscam users add/passwd`, `tokenscam keys new`."""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
import tomllib

from click.testing import CliRunner

from tokenscam.cli import cli
from tokenscam.passwords import verify_password
from tokenscam.settings import load_settings
from tokenscam.store import Store


def _env(tmp_path) -> dict[str, str]:
    return {"TOKENSCAM_INSTANCE_PATH": str(tmp_path / "instance"), "TOKENSCAM_CONFIG": ""}


def test_users_add_and_passwd(tmp_path) -> None:
    runner = CliRunner()
    env = _env(tmp_path)
    args = ["users", "add", "mod_zhao", "--password-stdin"]
    result = runner.invoke(cli, args, input="a-long-password\n", env=env)
    assert result.exit_code == 0, result.output
    store = Store(f"sqlite:///{tmp_path / 'instance' / 'tokenscam.sqlite3'}")
    user = store.user(username="mod_zhao")
    assert verify_password(user["password_hash"], "a-long-password")
    assert "a-long-password" not in user["password_hash"]

    again = runner.invoke(cli, args, input="another-password\n", env=env)
    assert again.exit_code == 2 and "exists already" in again.output
    short = runner.invoke(cli, ["users", "add", "x", "--password-stdin"], input="short\n", env=env)
    assert short.exit_code == 2 and "at least" in short.output

    args = ["users", "passwd", "mod_zhao", "--password-stdin"]
    assert runner.invoke(cli, args, input="a-new-long-password\n", env=env).exit_code == 0
    user = store.user(username="mod_zhao")
    assert verify_password(user["password_hash"], "a-new-long-password")
    nobody = runner.invoke(
        cli, ["users", "passwd", "nobody", "--password-stdin"], input="x" * 12, env=env
    )
    assert nobody.exit_code != 0


def test_users_add_with_a_database_url(tmp_path) -> None:
    db = tmp_path / "elsewhere.sqlite3"
    args = ["users", "add", "mod_qian", "--password-stdin", "--database", f"sqlite:///{db}"]
    result = CliRunner().invoke(cli, args, input="a-long-password\n", env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert Store(str(db)).user(username="mod_qian") is not None


def test_keys_new_prints_a_key_once_and_settings_with_its_hash() -> None:
    result = CliRunner().invoke(cli, ["keys", "new", "partner-a", "--rate-limit", "1200"])
    assert result.exit_code == 0, result.output
    key = re.search(r"^\s+(tsk_\S+)$", result.output, re.M).group(1)
    env_line = re.search(r"TOKENSCAM_API_KEYS='(.+)'", result.output).group(1)
    entry = json.loads(env_line)["partner-a"]
    assert entry == {"sha256": hashlib.sha256(key.encode()).hexdigest(), "rate_limit": 1200}
    # what it prints is what the settings loader accepts
    keys = load_settings(environ={"TOKENSCAM_API_KEYS": env_line})["API_KEYS"]
    assert keys["partner-a"]["sha256"] == entry["sha256"]
    assert key not in env_line
    toml_part = result.output.split("Settings file (TOML):\n", 1)[1].split("or the environment")[0]
    parsed = tomllib.loads(textwrap.dedent(toml_part))
    assert parsed["api_keys"]["partner-a"] == entry
