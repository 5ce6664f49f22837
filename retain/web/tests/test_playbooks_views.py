"""The playbook pages: list, detail with preview, simulation and runs, the editor, an account's snooze.

Every route is checked with the outsider (Olga → 404); changing a playbook is for managers and
admins (Mark; Carol the CSM and Vic the viewer → 403); snoozing an account is for whoever may edit
it (Carol owns Globex, Dave does not).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from retain.accounts.models import Account
from retain.playbooks import engine, services
from retain.playbooks.defaults import default_playbooks, playbooks_install_defaults
from retain.playbooks.models import Enrollment, Playbook, Snooze, StepRun
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db

# Globex's subscription started 305 days ago (conftest): this fires for it today, once.
TODAY_FOR_GLOBEX = """\
key: day-305
name: Day 305 call
trigger: {kind: time, from: subscription_start, after_days: 305}
steps:
  - task: {title: "Call {{ account.name }}", kind: call, due_in_days: 1}
"""


def login(client: Client, member: Member) -> Client:
    assert client.login(username=member.user.get_username(), password=PASSWORD)
    return client


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


@pytest.fixture
def installed(workspace: Workspace) -> list[Playbook]:
    return playbooks_install_defaults(workspace=workspace)


def test_list_shows_every_playbook_with_its_trigger_in_words(
    client: Client, installed: list[Playbook], vic: Member, olga: Member
) -> None:
    response = login(client, vic).get(url("playbooks"))
    assert response.status_code == 200
    html = response.content.decode()
    assert len(re.findall(r'<tr data-key="', html)) == len(default_playbooks())
    assert "30 days after the subscription start" in html
    assert "90 days after the subscription start, then every 90 days" in html
    assert "When health.band eq red becomes true" in html
    assert "On “NPS detractor answered”" in html
    assert 'href="/w/acme/playbooks/new/"' not in html  # a viewer does not write playbooks
    client.logout()
    assert login(client, olga).get(url("playbooks")).status_code == 404


def test_list_counts_enrolments_and_failures(
    client: Client, installed: list[Playbook], account: Account, mark: Member
) -> None:
    red = next(p for p in installed if p.key == "health-turned-red")
    for n, status in enumerate(["done", "failed", "skipped"]):
        Enrollment.objects.create(
            workspace=account.workspace, playbook=red, playbook_key=red.key, account=account,
            occurrence_key=f"edge:2026-01-0{n + 1}", status=status, due_at=timezone.now(),
        )  # fmt: skip
    html = login(client, mark).get(url("playbooks")).content.decode()
    row = re.search(r'<tr data-key="health-turned-red">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">(.*?)</td>', row.group(1), re.S)
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells] == ["v1", "3", "1", "1"]


def test_detail_shows_steps_runs_with_reasons_and_timings(
    client: Client, installed: list[Playbook], account: Account, vic: Member, olga: Member
) -> None:
    red = next(p for p in installed if p.key == "health-turned-red")
    started = timezone.now()
    enrollment = Enrollment.objects.create(
        workspace=account.workspace, playbook=red, playbook_key=red.key, account=account,
        occurrence_key="edge:2026-03-01", status="skipped", due_at=started, skip_reason="snoozed until 2026-03-09",
    )  # fmt: skip
    StepRun.objects.create(
        enrollment=enrollment, index=0, kind="task", status="failed", started_at=started,
        finished_at=started + dt.timedelta(milliseconds=42), error="no owner to assign",
    )  # fmt: skip
    response = login(client, vic).get(url("playbook", "health-turned-red"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "task (review) for owner: Risk review: {{ account.name }}, due in 2 days" in html
    assert "snoozed until 2026-03-09" in html and "no owner to assign" in html and "42 ms" in html
    assert "Switch off" not in html  # viewers read only
    failed_only = login(client, vic).get(url("playbook", "health-turned-red") + "?status=failed").content.decode()
    assert "edge:2026-03-01" not in failed_only
    assert client.get(url("playbook", "no-such-playbook")).status_code == 404
    client.logout()
    assert login(client, olga).get(url("playbook", "health-turned-red")).status_code == 404


def test_editor_is_for_managers(
    client: Client, installed: list[Playbook], mark: Member, carol: Member, vic: Member, olga: Member
) -> None:
    for member, status in ((carol, 403), (vic, 403), (olga, 404)):
        login(client, member)
        assert client.get(url("playbook-edit", "health-turned-red")).status_code == status
        assert client.get(url("playbook-new")).status_code == status
        assert client.post(url("playbook-new"), {"definition": TODAY_FOR_GLOBEX}).status_code == status
        assert client.post(url("playbook-active", "health-turned-red"), {"active": "false"}).status_code == status
        assert client.post(url("playbook-preview"), {"definition": TODAY_FOR_GLOBEX}).status_code == status
        client.logout()
    assert not Playbook.objects.filter(key="day-305").exists()
    assert Playbook.objects.get(key="health-turned-red").is_active
    response = login(client, mark).get(url("playbook-edit", "health-turned-red"))
    assert response.status_code == 200
    assert "Risk review: {{ account.name }}" in response.content.decode()


def test_saving_a_change_makes_the_next_version(client: Client, installed: list[Playbook], mark: Member) -> None:
    source = Playbook.objects.get(key="health-turned-red").source
    login(client, mark)
    response = client.post(
        url("playbook-edit", "health-turned-red"), {"definition": source.replace("due_in_days: 2", "due_in_days: 1")}
    )
    assert response.status_code == 302
    assert response["Location"] == url("playbook", "health-turned-red")
    current = Playbook.objects.get(key="health-turned-red", is_current=True)
    assert current.version == 2 and current.definition["steps"][0]["task"]["due_in_days"] == 1
    assert current.created_by == mark
    # The same text again: no new version.
    client.post(url("playbook-edit", "health-turned-red"), {"definition": current.source})
    assert Playbook.objects.filter(key="health-turned-red").count() == 2
    # A new one.
    assert client.post(url("playbook-new"), {"definition": TODAY_FOR_GLOBEX}).status_code == 302
    assert Playbook.objects.get(key="day-305").version == 1


def test_errors_are_shown_at_their_line(client: Client, installed: list[Playbook], mark: Member) -> None:
    broken = TODAY_FOR_GLOBEX.replace("kind: call", "kind: lunch")
    response = login(client, mark).post(url("playbook-new"), {"definition": broken})
    assert response.status_code == 400
    html = response.content.decode()
    assert "line 5, column" in html and "steps[0].task.kind" in html and "lunch" in html
    assert re.search(r'<li id="line-5" class="bad-line">', html)
    assert not Playbook.objects.filter(key="day-305").exists()
    # Editing may not rename the key.
    source = Playbook.objects.get(key="health-turned-red").source
    response = client.post(
        url("playbook-edit", "health-turned-red"),
        {"definition": source.replace("key: health-turned-red", "key: renamed")},
    )
    assert response.status_code == 400
    assert "stays health-turned-red when editing" in response.content.decode()


def test_preview_says_whom_a_draft_would_enrol_today(client: Client, account: Account, mark: Member) -> None:
    login(client, mark)
    response = client.post(url("playbook-preview"), {"definition": TODAY_FOR_GLOBEX}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "This draft would enrol <strong>1</strong> account today" in html
    assert "Globex" in html
    later = TODAY_FOR_GLOBEX.replace("after_days: 305", "after_days: 306")
    html = client.post(url("playbook-preview"), {"definition": later}).content.decode()
    assert "would enrol <strong>0</strong> accounts today" in html
    bad = client.post(url("playbook-preview"), {"definition": "key: x\nname: [\n"}).content.decode()
    assert "not valid YAML" in bad and "line 2, column 8" in bad
    assert not Playbook.objects.exists() and not Enrollment.objects.exists()


def test_saved_playbook_today_and_simulation(
    client: Client, workspace: Workspace, account: Account, mark: Member, vic: Member, olga: Member
) -> None:
    login(client, mark).post(url("playbook-new"), {"definition": TODAY_FOR_GLOBEX})
    client.logout()
    login(client, vic)
    html = client.get(url("playbook-today", "day-305")).content.decode()
    assert "would enrol <strong>1</strong> account today" in html
    today = dt.date.today()
    response = client.get(
        url("playbook-simulate", "day-305"), {"start": str(today - dt.timedelta(days=10)), "end": str(today)},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>1</strong> occurrence for <strong>1</strong> account" in html
    assert "nothing was sent" in html and "Globex" in html
    full = client.get(url("playbook-simulate", "day-305"), {"start": str(today), "end": str(today - dt.timedelta(1))})
    assert full.status_code == 400 and "must be on or after the start" in full.content.decode()
    long = client.get(url("playbook-simulate", "day-305"), {"start": "2026-01-01", "end": "2026-06-01"})
    assert long.status_code == 400 and "simulate at most 92 days here" in long.content.decode()
    assert not Enrollment.objects.exists()
    client.logout()
    login(client, olga)
    assert client.get(url("playbook-today", "day-305")).status_code == 404
    assert client.get(url("playbook-simulate", "day-305"), {"start": str(today), "end": str(today)}).status_code == 404


def test_switching_a_playbook_off_and_on(client: Client, installed: list[Playbook], mark: Member) -> None:
    login(client, mark)
    response = client.post(url("playbook-active", "health-turned-red"), {"active": "false"})
    assert response.status_code == 302
    assert not Playbook.objects.get(key="health-turned-red").is_active
    assert "Switch on" in client.get(url("playbook", "health-turned-red")).content.decode()
    client.post(url("playbook-active", "health-turned-red"), {"active": "true"})
    assert Playbook.objects.get(key="health-turned-red").is_active


def test_account_snooze(
    client: Client, account: Account, carol: Member, dave: Member, vic: Member, olga: Member
) -> None:
    until = str(dt.date.today() + dt.timedelta(days=7))
    for member, status in ((dave, 403), (vic, 403)):
        login(client, member)
        assert client.get(url("account-playbooks", account.pk)).status_code == 200
        assert (
            client.post(url("account-playbooks", account.pk), {"until": until, "action": "snooze"}).status_code
            == status
        )
        client.logout()
    login(client, olga)
    assert client.get(url("account-playbooks", account.pk)).status_code == 404
    assert client.post(url("account-playbooks", account.pk), {"until": until}).status_code == 404
    client.logout()
    assert not Snooze.objects.exists()

    login(client, carol)
    past = client.post(url("account-playbooks", account.pk), {"until": "2020-01-01", "action": "snooze"})
    assert past.status_code == 400 and "must be today or later" in past.content.decode()
    response = client.post(
        url("account-playbooks", account.pk), {"until": until, "reason": "Reorg", "action": "snooze"}
    )
    assert response.status_code == 302
    snooze = Snooze.objects.get(account=account)
    assert str(snooze.until) == until and snooze.reason == "Reorg" and snooze.by == carol
    assert (
        f"until <strong>{until}</strong> (Reorg)" in client.get(url("account-playbooks", account.pk)).content.decode()
    )
    client.post(url("account-playbooks", account.pk), {"action": "clear"})
    assert not Snooze.objects.exists()


LEAKING = """\
key: leak
name: Leak
trigger: {kind: time, from: subscription_start, after_days: 305}
steps:
  - slack:
      url: https://hooks.slack.example/T1
      text: "{{ account.name }}: {{ owner.user.password }}"
"""


def test_editor_lists_the_template_values_and_refuses_any_other_at_its_line_and_column(
    client: Client, account: Account, mark: Member, olga: Member
) -> None:
    login(client, mark)
    html = client.get(url("playbook-new")).content.decode()
    assert "<code>account.renewal_date</code>" in html and "<code>contact.first_name</code>" in html
    response = client.post(url("playbook-new"), {"definition": LEAKING})
    assert response.status_code == 400
    assert "line 1:24: owner.user.password is not a value message templates can use" in response.content.decode()
    assert not Playbook.objects.filter(key="leak").exists()
    client.logout()
    assert login(client, olga).post(url("playbook-new"), {"definition": LEAKING}).status_code == 404


def test_an_occurrence_skipped_as_too_late_shows_why_on_the_playbook_page(
    client: Client, account: Account, mark: Member, vic: Member, olga: Member
) -> None:
    services.playbook_save(workspace=account.workspace, definition_yaml=TODAY_FOR_GLOBEX, actor=mark)
    engine.scan(workspace=account.workspace)
    enrollment = Enrollment.objects.get(playbook_key="day-305")
    engine.sweep(now=enrollment.due_at + dt.timedelta(days=9), worker_name="w")
    html = login(client, vic).get(url("playbook", "day-305") + "?status=skipped").content.decode()
    assert "9 days ago (time playbooks run at most 7 days late)" in html
    client.logout()
    assert login(client, olga).get(url("playbook", "day-305")).status_code == 404
