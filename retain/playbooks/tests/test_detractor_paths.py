"""The detractor playbook follows up a detractor however the answer arrives: the e-mailed link,
the API, an import or an `NPS Submitted` product event all record it through the same service."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from retain.accounts.imports import csv_import
from retain.accounts.models import Contact
from retain.api.tests.conftest import ClientFor
from retain.playbooks import engine
from retain.playbooks.defaults import default_playbooks
from retain.playbooks.models import Enrollment
from retain.playbooks.services import playbook_save
from retain.surveys.models import Response, Survey
from retain.surveys.tests.conftest import SendTo
from retain.tasks.models import Task
from retain.tenancy.models import Member, Workspace
from retain.tenancy.services import write_key_create

COMMENT = "Reports are slow. Considering whether to renew."


def by_email_link(client: Client, send_to: SendTo, nps: Survey, jane: Contact, **_: object) -> None:
    token = send_to(nps, jane)[1]
    assert client.post(f"/s/{token}/", {"score": "3", "comment": COMMENT}).status_code in (200, 302)


def by_api(client_for: ClientFor, carol: Member, nps: Survey, jane: Contact, **_: object) -> None:
    body = {"survey": nps.pk, "contact": jane.pk, "score": 3, "comment": COMMENT}
    assert client_for(carol).post("/api/v1/survey-responses/", body, format="json").status_code == 201


def by_import(workspace: Workspace, carol: Member, **_: object) -> None:
    today = timezone.localdate().isoformat()
    content = f'Email,Score,Comment,Date,Survey\njane@globex.example,3,"{COMMENT}",{today},Relationship NPS\n'
    result = csv_import(
        workspace=workspace, actor=carol, kind="responses", filename="answers.csv",
        source=io.BytesIO(content.encode()), dry_run=False, allow_partial=False,
    )  # fmt: skip
    assert result.problems == [] and Response.objects.filter(source="import").count() == 1


def by_product_event(client: Client, workspace: Workspace, jane: Contact, **_: object) -> None:
    jane.external_id = "crm-jane"
    jane.save()
    key = write_key_create(workspace=workspace, name="Product")[1]
    event = {
        "type": "track",
        "event": "NPS Submitted",
        "userId": "crm-jane",
        "messageId": "nps-1",
        "properties": {"score": 3, "comment": COMMENT},
    }
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    body = json.dumps({"batch": [event]})
    response = client.post("/v1/batch", data=body, content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("answer", [by_email_link, by_api, by_import, by_product_event])
def test_a_detractor_is_called_back_whichever_way_the_answer_came(
    answer: Callable[..., None],
    workspace: Workspace,
    carol: Member,
    jane: Contact,
    nps: Survey,
    send_to: SendTo,
    client: Client,
    client_for: ClientFor,
) -> None:
    (default,) = [d for d in default_playbooks() if d.key == "detractor-follow-up"]
    playbook_save(workspace=workspace, definition_yaml=default.source, actor=None)
    answer(client=client, client_for=client_for, send_to=send_to, workspace=workspace, carol=carol, nps=nps, jane=jane)
    assert engine.scan(workspace=workspace).enrolled == 1
    engine.sweep(worker_name="test")
    enrollment = Enrollment.objects.get(playbook_key="detractor-follow-up")
    assert enrollment.status == "waiting" and COMMENT in enrollment.context["reason"]
    task = Task.objects.get(account=jane.account)
    assert task.title == "Call back a detractor at Globex" and task.owner == carol
