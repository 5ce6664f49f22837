"""The `retain` command: every Django management command plus Retain's own (demo, serve, import…)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retain.config.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "retain"
    from retain.lib.env import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as exc:
        print(f"retain: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    from django.conf import settings
    from django.core.management import execute_from_command_line

    if settings.SECRET_KEY_FROM_FILE:
        note = f"retain: using the secret key in {settings.SECRET_KEY_FILE} (RETAIN_SECRET_KEY is unset)"
        print(note, file=sys.stderr)
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
