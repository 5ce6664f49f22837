"""The survey pages: the list, a survey's page with its figures and comments, and the CSV export.

Every member reads (the viewer Vic included, and the export is a read); the outsider Olga gets 404,
and so does a survey of another workspace opened from this one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.surveys import services
from retain.surveys.models import Response, Survey
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db
_people = itertools.count(1)


def login(client: Client, member: Member) -> Client:
    assert client.login(username=member.user.get_username(), password=PASSWORD)
    return client


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


def body(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]  # the test client's response carries content and context


def person(account: Account) -> Contact:
    n = next(_people)
    return account_services.contact_create(
        account=account, actor=None, via="test", email=f"p{n}@globex.example", first_name="Pat", last_name=f"No{n}"
    )


def answer(survey: Survey, account: Account, score: int, comment: str = "", days_ago: int = 3) -> Response:
    return services.response_record(
        survey=survey,
        contact=person(account),
        score=score,
        comment=comment,
        answered_at=timezone.now() - dt.timedelta(days=days_ago),
        source="web",
    )


@pytest.fixture
def nps(workspace: Workspace, mark: Member) -> Survey:
    return services.survey_create(
        workspace=workspace, actor=mark, name="Relationship NPS", kind="nps", schedule_kind="recurring",
        schedule_days=182,
    )  # fmt: skip


@pytest.fixture
def csat(workspace: Workspace, mark: Member) -> Survey:
    return services.survey_create(
        workspace=workspace, actor=mark, name="Support CSAT", kind="csat", schedule_kind="manual"
    )


@pytest.fixture
def theirs(other_workspace: Workspace) -> Survey:
    return services.survey_create(
        workspace=other_workspace, actor=None, name="Their NPS", kind="nps", schedule_kind="manual"
    )


# The list ----------------------------------------------------------------------------------------


def test_the_list_shows_each_surveys_headline(
    client: Client, vic: Member, nps: Survey, csat: Survey, account: Account
) -> None:
    for score in (10, 9, 7, 3):
        answer(nps, account, score)
    answer(csat, account, 5)
    login(client, vic)

    page = body(client.get(url("surveys")))

    assert "Relationship NPS" in page and "Support CSAT" in page
    assert "NPS 25" in page
    assert "NPS = %promoters − %detractors = 50% − 25% = 25 (n = 4)" in page
    assert "100% &gt; 3.5" in page


def test_the_outsider_gets_404_everywhere(client: Client, olga: Member, nps: Survey) -> None:
    login(client, olga)

    for target in (url("surveys"), url("survey", nps.pk), url("survey-export", nps.pk)):
        assert client.get(target).status_code == 404


def test_a_survey_of_another_workspace_is_404(client: Client, alice: Member, theirs: Survey) -> None:
    login(client, alice)

    assert client.get(url("survey", theirs.pk)).status_code == 404
    assert client.get(url("survey-export", theirs.pk)).status_code == 404


def test_logged_out_visitors_are_sent_to_log_in(client: Client, nps: Survey) -> None:
    assert client.get(url("survey", nps.pk)).status_code == 302


def test_the_list_is_in_the_main_navigation(client: Client, vic: Member) -> None:
    login(client, vic)

    assert f'href="{url("surveys")}" aria-current="page">Surveys' in body(client.get(url("surveys")))


# A survey's page ---------------------------------------------------------------------------------


def test_the_viewer_reads_the_figures_distribution_trend_and_breakdowns(
    client: Client, vic: Member, carol: Member, nps: Survey, account: Account
) -> None:
    for score in (10, 9, 7, 3):
        answer(nps, account, score, comment=f"Scored {score}")
    login(client, vic)

    response = client.get(url("survey", nps.pk))

    assert response.status_code == 200
    page = body(response)
    assert "NPS = %promoters − %detractors = 50% − 25% = 25 (n = 4)" in page
    assert "<polyline" in page and 'class="score-bars"' in page
    assert response.context["bars"][10] == (10, 1, 100.0)
    assert [g.label for g in response.context["by_tier"]] == ["Enterprise"]
    assert [g.label for g in response.context["by_owner"]] == [carol.display_name]
    assert "Scored 3" in page


def test_the_period_selector_narrows_the_answers(client: Client, vic: Member, nps: Survey, account: Account) -> None:
    answer(nps, account, 10, days_ago=3)
    answer(nps, account, 0, days_ago=200)
    login(client, vic)

    assert client.get(url("survey", nps.pk)).context["measures"].nps_n == 2
    assert client.get(url("survey", nps.pk), {"months": "3"}).context["measures"].nps_n == 1
    today = timezone.localdate()
    custom = {
        "start": (today - dt.timedelta(days=250)).isoformat(),
        "end": (today - dt.timedelta(days=100)).isoformat(),
    }
    assert client.get(url("survey", nps.pk), custom).context["measures"].nps.value == -100


def test_a_period_ending_before_it_starts_names_the_field(client: Client, vic: Member, nps: Survey) -> None:
    login(client, vic)

    response = client.get(url("survey", nps.pk), {"start": "2026-05-01", "end": "2026-04-01"})

    assert response.status_code == 200
    assert "To: must be on or after the start" in body(response)


def test_comments_are_searchable_and_paginated(client: Client, vic: Member, nps: Survey, account: Account) -> None:
    answer(nps, account, 2, comment="The attribution report times out")
    for n in range(25):
        answer(nps, account, 9, comment=f"Workflows are great #{n}")
    login(client, vic)

    found = client.get(url("survey", nps.pk), {"q": "ATTRIBUTION"})
    assert [r.comment for r in found.context["comments"]] == ["The attribution report times out"]
    assert "Workflows are great" not in body(found)

    first = client.get(url("survey", nps.pk))
    assert first.context["comments"].paginator.count == 26
    assert len(first.context["comments"]) == 20
    assert len(client.get(url("survey", nps.pk), {"page": "2"}).context["comments"]) == 6


def test_the_survey_page_takes_the_same_queries_for_few_or_many_answers(
    client: Client, vic: Member, nps: Survey, account: Account, dave: Member
) -> None:
    answer(nps, account, 9, comment="fine")
    login(client, vic)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("survey", nps.pk)).status_code == 200
        return len(queries)

    few = count()
    other = account_services.account_create(
        workspace=account.workspace, actor=None, via="test", name="Initech", tier="community", owner=dave
    )
    for n in range(30):
        answer(nps, other if n % 2 else account, n % 11, comment=f"comment {n}", days_ago=n * 9)
    assert count() == few


def test_the_list_takes_the_same_queries_for_few_or_many_surveys_and_answers(
    client: Client, vic: Member, nps: Survey, csat: Survey, account: Account, workspace: Workspace
) -> None:
    answer(nps, account, 9)
    login(client, vic)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("surveys")).status_code == 200
        return len(queries)

    few = count()
    for n in range(5):
        extra = services.survey_create(
            workspace=workspace, actor=None, name=f"Pulse {n}", kind="nps", schedule_kind="manual"
        )
        answer(extra, account, n)
        answer(csat, account, 1 + n % 5)
    assert count() == few


# The export --------------------------------------------------------------------------------------


def test_the_viewer_exports_the_answers_with_formula_safe_cells(
    client: Client, vic: Member, nps: Survey, account: Account
) -> None:
    answer(nps, account, 3, comment='=HYPERLINK("http://evil.example","x")')
    answer(nps, account, 10, comment="Fine, thanks")
    login(client, vic)

    response = client.get(url("survey-export", nps.pk))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]  # a streamed response; the test client types every response as HttpResponse
    assert rows[0][:6] == ["answered_at", "survey", "kind", "score", "category", "comment"]
    comments = {row[5] for row in rows[1:]}
    assert comments == {'\'=HYPERLINK("http://evil.example","x")', "Fine, thanks"}
    assert {row[9] for row in rows[1:]} == {"Globex"}


def test_the_export_follows_the_period_and_the_search(
    client: Client, vic: Member, nps: Survey, account: Account
) -> None:
    answer(nps, account, 3, comment="slow reports", days_ago=2)
    answer(nps, account, 9, comment="great", days_ago=2)
    answer(nps, account, 9, days_ago=300)
    login(client, vic)

    def lines(params: dict[str, str]) -> int:
        response = client.get(url("survey-export", nps.pk), params)
        return len(b"".join(response.streaming_content).decode().splitlines()) - 1  # type: ignore[attr-defined]  # a streamed response; the test client types every response as HttpResponse

    assert lines({}) == 3
    assert lines({"months": "3"}) == 2
    assert lines({"months": "3", "q": "slow"}) == 1


# The account page card ---------------------------------------------------------------------------


def test_the_account_page_shows_the_voice_of_the_customer(
    client: Client, vic: Member, nps: Survey, account: Account
) -> None:
    contact = person(account)
    services.response_record(
        survey=nps, contact=contact, score=2, comment="Support never calls back", answered_at=timezone.now(),
        source="web",
    )  # fmt: skip
    login(client, vic)

    page = body(client.get(url("account", account.pk)))

    assert "Voice of the customer" in page
    assert "Support never calls back" in page
    assert "2 · Detractor" in page
