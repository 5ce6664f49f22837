"""Fixtures the playbook tests share with the survey and API tests (answers arriving every way)."""

from retain.api.tests.conftest import client_for  # noqa: F401  (the API tests' token client)
from retain.messaging.tests.receivers import smtp  # noqa: F401  (a real local SMTP server)
from retain.surveys.tests.conftest import nps, send_to  # noqa: F401  (a survey, and invitations by e-mail)
