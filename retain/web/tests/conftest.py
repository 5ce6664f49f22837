"""Web fixtures: the real local SMTP server of the messaging tests (the shared conftest has the rest)."""

from retain.messaging.tests.receivers import smtp  # noqa: F401  (a real local SMTP server)
