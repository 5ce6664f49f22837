"""Settings are parsed strictly: a malformed or unknown value stops start-up with one line."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from retain.lib.env import ConfigError, check_known, env_bool, env_int, env_list, env_timezone


def test_booleans_accept_the_usual_spellings() -> None:
    assert env_bool("X", False, {"X": "Yes"}) is True
    assert env_bool("X", True, {"X": "off"}) is False
    assert env_bool("X", True, {}) is True
    with pytest.raises(ConfigError, match="X='maybe' is not a boolean"):
        env_bool("X", False, {"X": "maybe"})


def test_integers_and_minimums() -> None:
    assert env_int("N", 5, {"N": " 7 "}) == 7
    with pytest.raises(ConfigError, match="not an integer"):
        env_int("N", 5, {"N": "7.5"})
    with pytest.raises(ConfigError, match="below the minimum"):
        env_int("N", 5, {"N": "0"}, minimum=1)


def test_lists_and_time_zones() -> None:
    assert env_list("H", [], {"H": "a.example, b.example"}) == ["a.example", "b.example"]
    with pytest.raises(ConfigError, match="empty item"):
        env_list("H", [], {"H": "a.example,,b"})
    assert env_timezone("TZ", "UTC", {"TZ": "Europe/Zagreb"}) == "Europe/Zagreb"
    with pytest.raises(ConfigError, match="not a known time zone"):
        env_timezone("TZ", "UTC", {"TZ": "Mars/Olympus"})


def test_unknown_variables_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown setting RETAIN_DEBGU"):
        check_known("RETAIN_", {"RETAIN_DEBUG"}, {"RETAIN_DEBGU": "1"})


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "retain.cli", "check"], env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "RETAIN_SECRET_KEY is unset and "),
        ({"RETAIN_DEBUG": "sometimes"}, "RETAIN_DEBUG='sometimes' is not a boolean"),
        ({"RETAIN_DEBUG": "true", "RETAIN_DATABASE_URL": "mysql://x/y"}, "RETAIN_DATABASE_URL must be a sqlite"),
        ({"RETAIN_DEBUG": "true", "RETAIN_SECRET_KEY": "short"}, "shorter than 32 characters"),
        ({"RETAIN_DEBUG": "true", "RETAIN_COLOUR": "blue"}, "unknown setting RETAIN_COLOUR"),
        ({"RETAIN_DEBUG": "true", "RETAIN_EMAIL_SECURITY": "ssl"}, "is not one of starttls | tls | none"),
        ({"RETAIN_DEBUG": "true", "RETAIN_EMAIL_USER": "me"}, "PASSWORD must be set together"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line(env: dict[str, str], message: str, tmp_path: object) -> None:
    result = _start({"RETAIN_DATA_DIR": str(tmp_path), **env})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]


def test_good_settings_start(tmp_path: object) -> None:
    result = _start({"RETAIN_DATA_DIR": str(tmp_path), "RETAIN_SECRET_KEY": "x" * 40})
    assert result.returncode == 0, result.stderr


def test_without_the_variable_the_secret_comes_from_the_data_directory_and_says_so_once(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("k" * 48 + "\n")
    result = _start({"RETAIN_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "secret key" in line]
    assert notes == [f"retain: using the secret key in {tmp_path / 'secret_key'} (RETAIN_SECRET_KEY is unset)"]
    # The variable wins over the file, silently.
    result = _start({"RETAIN_DATA_DIR": str(tmp_path), "RETAIN_SECRET_KEY": "v" * 40})
    assert result.returncode == 0 and "secret key" not in result.stderr


def test_a_short_secret_in_the_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("short\n")
    result = _start({"RETAIN_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert f"the secret key in {tmp_path / 'secret_key'} is shorter than 32 characters" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RETAIN_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, "RETAIN_TRUSTED_PROXIES item 'proxy.local'"),
        ({"RETAIN_CACHE_URL": "memcached://127.0.0.1"}, "RETAIN_CACHE_URL='memcached://127.0.0.1' must be a redis"),
        ({"RETAIN_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"}, "RETAIN_PROXY_SSL_HEADER='X-Forwarded-Proto: https'"),
        ({"RETAIN_HSTS_SECONDS": "-1"}, "RETAIN_HSTS_SECONDS=-1 is below the minimum"),
    ],
)
def test_a_bad_proxy_or_cache_setting_stops_start_up(env: dict[str, str], message: str, tmp_path: object) -> None:
    result = _start({"RETAIN_DATA_DIR": str(tmp_path), "RETAIN_DEBUG": "true", **env})
    assert result.returncode == 2
    assert message in result.stderr.strip(), result.stderr


def test_the_deploy_checks_pass_with_production_settings(tmp_path: object) -> None:
    production = {
        "RETAIN_DATA_DIR": str(tmp_path),
        "RETAIN_SECRET_KEY": secrets.token_urlsafe(48),
        "RETAIN_SITE_URL": "https://cs.example.com",
        "RETAIN_ALLOWED_HOSTS": "cs.example.com",
        "RETAIN_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "RETAIN_TRUSTED_PROXIES": "10.0.0.0/8",
    }
    result = subprocess.run(
        [sys.executable, "-m", "retain.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("RETAIN_", "DJANGO_"))}, **production},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
