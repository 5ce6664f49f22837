"""The education, time-in-stage and targets pages, the accounts list's days in stage and the team
page's QBR coverage: members read, outsiders get 404, viewers cannot import or set targets."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from conftest import PASSWORD
from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.team.models import Learning, PortfolioTarget
from retain.team.tests.conftest import new_account
from retain.tenancy.models import Member, Workspace


def _login(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.username, password=PASSWORD)
    return client


def _csv(name: str, text: str) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_education_pages_import_all_or_nothing_and_hide_from_outsiders(
    workspace: Workspace, carol: Member, vic: Member, olga: Member
) -> None:
    globex = new_account(workspace, "Globex", owner=carol)
    account_services.contact_create(account=globex, actor=None, via="test", email="ann@globex.example")
    today = workspace_today(workspace)
    client = _login(carol)
    bad = client.post(
        "/w/acme/team/education/",
        {
            "file": _csv(
                "june.csv",
                f"email,session,kind,date\nann@globex.example,Intro,training,{today}\nann@globex.example,,quiz,{today}\n",
            )
        },
    )
    assert bad.status_code == 400
    assert "june.csv:3:2: session: is empty" in bad.content.decode()
    assert not Learning.objects.exists()
    good = client.post(
        "/w/acme/team/education/",
        {"file": _csv("june.csv", f"email,session,kind,date\nann@globex.example,Intro,training,{today}\n")},
    )
    assert good.status_code == 302
    assert Learning.objects.get().session == "Intro"
    page = client.get("/w/acme/team/education/").content.decode()
    assert "Intro" in page
    account_page = client.get(f"/w/acme/accounts/{globex.pk}/education/")
    assert account_page.status_code == 200
    assert "1 / 1 = 100%" in account_page.content.decode()
    export = client.get(f"/w/acme/accounts/{globex.pk}/education/?format=csv").content.decode()
    assert export.splitlines()[1].startswith(f"{today},training,Intro,ann@globex.example")
    assert _login(vic).post("/w/acme/team/education/", {"file": _csv("a.csv", "x")}).status_code == 403
    outsider = _login(olga)
    assert outsider.get(f"/w/acme/accounts/{globex.pk}/education/").status_code == 404
    assert outsider.get(f"/w/other/accounts/{globex.pk}/education/").status_code == 404


def test_time_in_stage_report_and_the_accounts_lists_days_in_stage(
    workspace: Workspace, mark: Member, olga: Member
) -> None:
    today = workspace_today(workspace)
    old = new_account(workspace, "Old adopter", stage="adoption")
    fresh = new_account(workspace, "Fresh adopter", stage="adoption")
    Account.objects.filter(pk=old.pk).update(stage_entered_on=today - dt.timedelta(days=400))
    Account.objects.filter(pk=fresh.pk).update(stage_entered_on=today - dt.timedelta(days=5))
    client = _login(mark)
    page = client.get("/w/acme/team/time-in-stage/").content.decode()
    assert f'data-account="{old.pk}"' in page and f'data-account="{fresh.pk}"' not in page
    rows = client.get("/w/acme/team/time-in-stage/?format=csv&table=over").content.decode().splitlines()
    assert rows[1].split(",")[:6] == [
        "Old adopter",
        "enterprise",
        "adoption",
        "",
        (today - dt.timedelta(days=400)).isoformat(),
        "400",
    ]
    listed = client.get("/w/acme/accounts/?in_stage_days_min=100").content.decode()
    assert "Old adopter" in listed and "Fresh adopter" not in listed and "400 d" in listed
    refused = client.get("/w/acme/accounts/?in_stage_days_min=-3").content.decode()
    assert "must be a whole number of days" in refused
    streamed = client.get("/w/acme/accounts/export.csv?sort=-in_stage")
    export = b"".join(streamed.streaming_content).decode().splitlines()  # type: ignore[attr-defined]  # a streamed CSV
    assert export[0].endswith("stage_entered_on,days_in_stage")
    assert export[1].startswith("Old adopter") and export[1].endswith(",400")
    assert _login(olga).get("/w/acme/team/time-in-stage/").status_code == 404


def test_a_manager_sets_a_target_others_may_only_read_it(
    workspace: Workspace, mark: Member, carol: Member, olga: Member
) -> None:
    due = workspace_today(workspace) + dt.timedelta(days=120)
    assert (
        _login(carol).post("/w/acme/team/targets/", {"figure": "nrr", "target": "120", "due_on": due}).status_code
        == 403
    )
    manager = _login(mark)
    refused = manager.post("/w/acme/team/targets/", {"figure": "nrr", "target": "many", "due_on": due})
    assert refused.status_code == 400 and "target: must be a percentage" in refused.content.decode()
    saved = manager.post(
        "/w/acme/team/targets/", {"figure": "unhealthy_share", "target": "25", "start": "34", "due_on": due}
    )
    assert saved.status_code == 302
    target = PortfolioTarget.objects.get(workspace=workspace)
    page = _login(carol).get("/w/acme/team/targets/").content.decode()
    assert 'id="target-unhealthy_share"' in page and "34.0%" in page and "25.0%" in page
    assert "Unhealthy share = red accounts / accounts with a health score" in page
    assert (
        _login(carol)
        .get("/w/acme/team/targets/?format=csv")
        .content.decode()
        .splitlines()[1]
        .startswith("unhealthy_share,")
    )
    outsider = _login(olga)
    assert outsider.get("/w/acme/team/targets/").status_code == 404
    assert outsider.post("/w/other/team/targets/", {"action": "delete", "target": target.pk}).status_code == 400
    assert PortfolioTarget.objects.filter(pk=target.pk).exists()
    assert manager.post("/w/acme/team/targets/", {"action": "delete", "target": target.pk}).status_code == 302
    assert not PortfolioTarget.objects.exists()


def test_the_team_page_shows_qbr_coverage_per_csm_and_tier(workspace: Workspace, mark: Member, carol: Member) -> None:
    new_account(workspace, "Umbrella", tier="strategic", owner=carol, stage="adoption")
    page = _login(mark).get("/w/acme/team/").content.decode()
    assert 'id="qbr-coverage"' in page and f'id="qbr-owner-{carol.pk}"' in page and 'id="qbr-tier-strategic"' in page
    assert "Umbrella" in page  # overdue: no review held
