"""Strict parsing of environment variables.

Every setting Retain reads from the environment goes through one of these helpers, so a malformed
value stops start-up with one line naming the variable, instead of surfacing later as odd behaviour.
"""

from __future__ import annotations

import ipaddress
import os
import zoneinfo
from collections.abc import Mapping

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A malformed environment variable; its message is one line naming the variable."""


def env_str(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(name, default)


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    if name not in environ:
        return default
    raw = environ[name].strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name}={environ[name]!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_int(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
) -> int:
    environ = os.environ if environ is None else environ
    if name not in environ:
        return default
    try:
        value = int(environ[name].strip())
    except ValueError:
        raise ConfigError(f"{name}={environ[name]!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum of {minimum}")
    return value


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    environ = os.environ if environ is None else environ
    if name not in environ:
        return list(default)
    items = [item.strip() for item in environ[name].split(",")]
    if any(not item for item in items):
        raise ConfigError(f"{name}={environ[name]!r} has an empty item in its comma-separated list")
    return items


def env_choice(name: str, default: str, choices: list[str], environ: Mapping[str, str] | None = None) -> str:
    value = env_str(name, default, environ).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of {' | '.join(choices)}")
    return value


def env_timezone(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    value = env_str(name, default, environ)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}={value!r} is not a known time zone") from None
    return value


def check_known(prefix: str, known: set[str], environ: Mapping[str, str] | None = None) -> None:
    """Refuse variables with our prefix that nothing reads: a typo must not silently do nothing."""
    environ = os.environ if environ is None else environ
    unknown = sorted(key for key in environ if key.startswith(prefix) and key not in known)
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]} (known: {', '.join(sorted(known))})")


def env_networks(
    name: str, environ: Mapping[str, str] | None = None
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of addresses or networks (10.0.0.0/8, ::1); an empty default."""
    networks = []
    for item in env_list(name, [], environ):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name} item {item!r} is not an IP address or network (like 10.0.0.0/8)") from None
    return networks


def env_cache_url(name: str, environ: Mapping[str, str] | None = None) -> str:
    """A redis:// or rediss:// URL, or empty for the default."""
    value = env_str(name, "", environ).strip()
    if value and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{name}={value!r} must be a redis://, rediss:// or unix:// URL (or unset)")
    return value
