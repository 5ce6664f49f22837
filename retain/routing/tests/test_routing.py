"""Rules (YAML with line:column, winning over the model), the default model's desk accuracy on the
held-out starter questions, intake (dedup, sender matching), corrections, retraining and the CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from retain.accounts.models import Account, Contact
from retain.lib.definitions import DefinitionError
from retain.routing import classifier, router, rules, services
from retain.routing.categories import STARTER_HOLDOUT, STARTER_TRAIN, desk_of
from retain.routing.choices import DecidedBy, Desk, Source
from retain.routing.models import Correction, InboundMessage
from retain.tenancy.models import Member, Workspace

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_routing")


@pytest.fixture(scope="module")
def default_model() -> classifier.Model:
    return router.default_model()


def test_default_model_routes_held_out_starter_questions_to_the_right_desk(default_model: classifier.Model) -> None:
    _rows, texts, labels = classifier.read_labelled(STARTER_HOLDOUT, text="text", label="category")
    _rows, train_texts, _ = classifier.read_labelled(STARTER_TRAIN, text="text", label="category")
    assert not set(texts) & set(train_texts)  # never trained on
    predictions = default_model.predict(texts)
    desk_accuracy = sum(desk_of(p.label) == desk_of(y) for p, y in zip(predictions, labels, strict=True)) / len(labels)
    assert len(labels) >= 70
    assert desk_accuracy >= 0.90  # triage counts as wrong


def test_rules_are_checked_with_line_and_column() -> None:
    text = "rules:\n  - name: x\n    when: {mentions: [a], tierr: gold}\n    route: {desk: sales}\n"
    with pytest.raises(DefinitionError) as caught:
        rules.parse(text)
    assert caught.value.lines == [
        "rules.yaml:3:27: rules[0].when.tierr: unknown key (did you mean 'tier'?)",
        "rules.yaml:4:13: rules[0].route.desk: must be one of support, csm (got 'sales')",
    ]
    with pytest.raises(DefinitionError, match="'renewal' belongs to the csm desk"):
        rules.parse("rules:\n  - name: y\n    when: {mentions: [x]}\n    route: {desk: support, category: renewal}\n")


def test_rules_win_over_the_model_and_say_so(default_model: classifier.Model) -> None:
    parsed = rules.parse(rules.DEFAULT_RULES)
    decision = services.decide(
        rules=parsed, model=default_model, subject="", text="We want to upgrade but I forgot my password"
    )
    assert (decision.desk, decision.category, decision.decided_by) == ("support", "password_access", "rule")
    assert decision.reason == "rule: Passwords and log-in go to support"
    sponsor = rules.Facts(text="How do I export my contacts to CSV?", sender_role="executive_sponsor")
    decision = services.decide(rules=parsed, model=default_model, subject="", text=sponsor.text, facts=sponsor)
    assert decision.desk == "csm" and decision.rule == "The executive sponsor goes to the CSM"
    strategic = rules.Facts(text="Can we talk about the renewal?", tier="strategic")
    decision = services.decide(rules=parsed, model=default_model, subject="", text=strategic.text, facts=strategic)
    assert decision.urgent and decision.category == "renewal"
    decision = services.decide(rules=parsed, model=default_model, subject="", text="We want to cancel our subscription")
    assert (decision.desk, decision.category, decision.decided_by, decision.urgent) == (
        "csm",
        "cancellation",
        "model",
        True,
    )
    assert decision.confidence is not None and decision.reason.startswith("tfidf-svm: Cancellation (")


def test_intake_matches_sender_deduplicates_and_routes(
    workspace: Workspace, account: Account, jane: Contact, default_model: classifier.Model
) -> None:
    message, created = services.inbound_receive(
        workspace=workspace,
        source=Source.EMAIL,
        sender="Jane <jane@globex.example>",
        subject="Cancel",
        text="We have decided to cancel our contract at the end of the term.",
        source_message_id="<m1@globex.example>",
    )
    assert created and message.contact == jane and message.account == account
    assert message.desk == Desk.CSM and message.category == "cancellation" and message.urgent
    again, created = services.inbound_receive(
        workspace=workspace, source=Source.EMAIL, text="again", source_message_id="<m1@globex.example>"
    )
    assert not created and again.pk == message.pk
    by_domain, _ = services.inbound_receive(
        workspace=workspace, source=Source.API, sender="bob@globex.example", text="hi"
    )
    assert by_domain.contact is None and by_domain.account == account
    unmatched, _ = services.inbound_receive(workspace=workspace, source=Source.API, sender="x@gmail.com", text="hi")
    assert unmatched.account is None
    with pytest.raises(services.RoutingError, match="text: is required"):
        services.inbound_receive(workspace=workspace, source=Source.API, text=" ")
    with pytest.raises(services.RoutingError, match="source: must be one of"):
        services.inbound_receive(workspace=workspace, source="fax", text="hello")
    assert InboundMessage.objects.filter(workspace=workspace).count() == 3


def test_corrections_are_kept_and_retraining_uses_them(
    workspace: Workspace, carol: Member, default_model: classifier.Model, tmp_path: Path
) -> None:
    message, _ = services.inbound_receive(
        workspace=workspace, source=Source.FORM, text="Can we get the Q3 attribution export for our board?"
    )
    correction = services.message_correct(actor=carol, message=message, category="capability_question")
    assert (correction.to_desk, correction.to_category, correction.by) == ("csm", "capability_question", carol)
    message.refresh_from_db()
    assert message.decided_by == DecidedBy.PERSON and message.desk == Desk.CSM
    with pytest.raises(services.RoutingError, match="category: must be one of"):
        services.message_correct(actor=carol, message=message, category="nonsense")
    with override_settings(DATA_DIR=tmp_path):
        setup, _result = services.routing_model_retrain(workspace=workspace)
    assert setup.model_corrections == 1 and setup.model_rows == 248
    assert (tmp_path / "routing" / setup.model_file).exists()
    assert Correction.objects.filter(workspace=workspace).count() == 1


def test_cli_train_evaluate_and_route(workspace: Workspace, default_model: classifier.Model, tmp_path: Path) -> None:
    out = io.StringIO()
    saved = tmp_path / "starter.joblib"
    call_command("routing", "train", "--csv", str(STARTER_TRAIN), "--text", "text", "--label", "category",
                 "--save", str(saved), stdout=out)  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines[2].startswith("  fold 1: accuracy=") and lines[-1].startswith("cross-validated: accuracy=")
    out = io.StringIO()
    call_command("routing", "evaluate", "--csv", str(STARTER_HOLDOUT), "--text", "text", "--label", "category",
                 "--model", str(saved), stdout=out)  # fmt: skip
    last = out.getvalue().splitlines()[-1]
    assert last.startswith("accuracy=") and last.endswith(" n=73 model=tfidf-svm") and "unknown_recall=n/a" in last
    questions = tmp_path / "q.csv"
    questions.write_text(
        "id,question\n1,I forgot my password\n2,We have decided to cancel our subscription\n", encoding="utf-8"
    )
    out = io.StringIO()
    call_command("routing", "route", "--workspace", workspace.slug, "--csv", str(questions), "--text", "question",
                 stdout=out)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [row["id"] for row in rows] == ["1", "2"]
    assert rows[0]["desk"] == "support" and rows[0]["reason"].startswith("rule: ")
    assert rows[1]["desk"] == "csm" and rows[1]["category"] == "cancellation" and float(rows[1]["confidence"]) > 0
    with pytest.raises(CommandError, match=r"--text: .* no column 'body'"):
        call_command("routing", "route", "--workspace", workspace.slug, "--csv", str(questions), "--text", "body")
    with pytest.raises(CommandError, match="--workspace: no workspace 'nope'"):
        call_command("routing", "route", "--workspace", "nope", "--csv", str(questions), "--text", "question")


def test_api_posts_a_question_routes_it_and_deduplicates(
    workspace: Workspace, other_workspace: Workspace, account: Account, alice: Member, vic: Member, olga: Member,
    default_model: classifier.Model,
) -> None:  # fmt: skip
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(alice.user)
    client.credentials(HTTP_X_RETAIN_WORKSPACE=workspace.slug)
    body = {"text": "Please don't renew our contract - we're moving to another vendor", "sender": "ops@globex.example",
            "source_message_id": "T-1"}  # fmt: skip
    first = client.post("/api/v1/inbound/", body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["account"] == account.pk and first.json()["desk"] == "csm"
    assert first.json()["decided_by"] in ("model", "rule") and first.json()["reason"]
    assert client.post("/api/v1/inbound/", body, format="json").status_code == 200
    bad = client.post("/api/v1/inbound/", {"text": "x", "account": 999999}, format="json")
    assert bad.status_code == 400 and "account" in bad.json()["errors"]
    listing = client.get("/api/v1/inbound/")
    assert [row["id"] for row in listing.json()["results"]] == [first.json()["id"]]
    client.force_authenticate(vic.user)
    assert client.post("/api/v1/inbound/", body, format="json").status_code == 403
    client.force_authenticate(olga.user)  # an outsider sees none of it
    client.credentials(HTTP_X_RETAIN_WORKSPACE=other_workspace.slug)
    assert client.get("/api/v1/inbound/").json()["results"] == []


def test_routing_acts_task_timeline_and_support_forward(
    workspace: Workspace, account: Account, carol: Member, jane: Contact, default_model: classifier.Model
) -> None:
    import datetime as dt

    from retain.accounts.choices import EntryKind
    from retain.accounts.models import TimelineEntry
    from retain.accounts.selectors import workspace_today
    from retain.messaging.models import OutboundMessage
    from retain.tasks.models import Task

    message, _ = services.inbound_receive(
        workspace=workspace, source=Source.EMAIL, sender="jane@globex.example",
        text="We have decided to cancel our subscription at the end of the term.",
    )  # fmt: skip
    task = Task.objects.get(pk=message.task_id or 0)
    assert (task.owner, task.priority, task.due_on) == (carol, "urgent", workspace_today(workspace))
    assert task.source_ref == f"inbound:{message.pk}"
    entry = TimelineEntry.objects.get(account=account, kind=EntryKind.CANCELLATION_INTENT)
    assert entry.data["message_id"] == message.pk and "Cancellation" in entry.summary
    setup = services.routing_setup_get(workspace=workspace)
    setup.support_webhook_url = "https://support.example/hooks/retain"
    setup.save()
    support, _ = services.inbound_receive(
        workspace=workspace, source=Source.EMAIL, sender="jane@globex.example",
        text="How do I export my contacts to CSV?",
    )  # fmt: skip
    assert support.desk == "support" and support.task_id is None
    forward = OutboundMessage.objects.get(pk=support.forwarded_id or 0)
    assert forward.to == "https://support.example/hooks/retain" and forward.payload["text"].startswith("How do I")
    assert TimelineEntry.objects.filter(account=account, kind=EntryKind.INBOUND_QUESTION).count() == 1
    pricing, _ = services.inbound_receive(
        workspace=workspace,
        source=Source.API,
        sender="jane@globex.example",
        text="What's the price of the enterprise plan?",
    )
    priced = Task.objects.get(pk=pricing.task_id or 0)
    assert priced.priority == "high" and priced.due_on == workspace_today(workspace) + dt.timedelta(days=1)


def test_complaints_and_cancellation_intent_are_a_health_measure(
    workspace: Workspace, account: Account, default_model: classifier.Model
) -> None:
    from retain.accounts.selectors import workspace_today
    from retain.health import catalogue
    from retain.health.measures import compute_measures

    services.inbound_receive(workspace=workspace, source=Source.API, sender="a@globex.example",
                             text="We have decided to cancel our subscription")  # fmt: skip
    services.inbound_receive(workspace=workspace, source=Source.API, sender="b@globex.example",
                             text="How do I export my contacts to CSV?")  # fmt: skip
    values = compute_measures(workspace, [account.pk], workspace_today(workspace), kinds=["unhappy_questions"])
    assert values[account.pk]["unhappy_questions"] == 1
    assert catalogue.describe("unhappy_questions", 1) == "1 complaint or cancellation question in 90 days"


def test_weekly_retraining_runs_for_workspaces_with_new_corrections(
    workspace: Workspace, other_workspace: Workspace, carol: Member, default_model: classifier.Model, tmp_path: Path
) -> None:
    from retain.config.celery import app
    from retain.config.schedule import SCHEDULE
    from retain.routing.jobs import retrain_all

    entry = SCHEDULE["retrain-question-router"]
    assert entry["task"] == "retain.routing.jobs.retrain_all" and entry["task"] in app.tasks
    message, _ = services.inbound_receive(workspace=workspace, source=Source.FORM, text="Can we get a board pack?")
    services.message_correct(actor=carol, message=message, category="capability_question")
    with override_settings(DATA_DIR=tmp_path):
        assert retrain_all() == 1  # the other workspace has no corrections
        assert retrain_all() == 0  # nothing new since
    assert services.routing_setup_get(workspace=workspace).model_corrections == 1


def test_admins_set_the_support_webhook_and_secrets(workspace: Workspace, alice: Member) -> None:
    from django.test import Client

    client = Client()
    client.force_login(alice.user)
    url = f"/w/{workspace.slug}/inbound/settings/"
    response = client.post(url, {"support_webhook_url": "ftp://nope", "slack_signing_secret": "s1"})
    assert response.status_code == 302
    assert services.routing_setup_get(workspace=workspace).slack_signing_secret == ""  # nothing half-written
    client.post(url, {"support_webhook_url": "https://support.example/in", "slack_signing_secret": "s1"})
    client.post(url, {"support_webhook_url": "https://support.example/in", "slack_signing_secret": ""})
    setup = services.routing_setup_get(workspace=workspace)
    assert (setup.support_webhook_url, setup.slack_signing_secret) == ("https://support.example/in", "s1")
    page = client.get(f"/w/{workspace.slug}/inbound/rules/").content.decode()
    assert "s1" not in page and "set; leave empty to keep" in page
