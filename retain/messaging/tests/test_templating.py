"""Message templates: the Django language, plain text, plain values only, and a clear error."""

from __future__ import annotations

import pytest

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.messaging.templating import VALUES, message_values, render_text, validate_template
from retain.tenancy import services as tenancy_services
from retain.tenancy.models import Member, Workspace

# What a live model instance would hand out: a password hash, any member's, and (through the
# user's memberships) another workspace's accounts.
REACHING_OUT = [
    "{{ owner.user.password }}",
    "{{ workspace.members.all.0.user.password }}",
    "{{ owner.user.memberships.all.1.workspace.accounts.all.0.name }}",
]


def test_it_renders_plain_text_without_html_escaping() -> None:
    text = render_text(
        "Hi {{ contact.first_name }}, {{ account.name }} & co",
        {"contact": {"first_name": "Seán"}, "account": {"name": "O'Brien <Ltd>"}},
    )
    assert text == "Hi Seán, O'Brien <Ltd> & co"


def test_an_unknown_variable_renders_empty() -> None:
    assert render_text("[{{ owner.nickname }}]", {"owner": None}) == "[]"


def test_built_in_tags_and_filters_work() -> None:
    template = "{% if seats > 5 %}{{ name|upper }}{% else %}small{% endif %}"
    assert render_text(template, {"seats": 10, "name": "globex"}) == "GLOBEX"


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("{% if %}x{% endif %}", "if tag"),
        ("{{ name|shout }}", "Invalid filter: 'shout'"),
        ("{% if contact %}", "Unclosed tag"),
        ("{% for c in contacts %}{% endfor %}", "the {% for %} tag is not allowed"),
        ("{% with p=owner %}{% endwith %}", "the {% with %} tag is not allowed"),
        ("line one\n{% include 'web/base.html' %}", "line 2: the {% include %} tag is not allowed"),
        ("{% load static %}", "{% load %} tag is not allowed"),
    ],
)
def test_validate_template_says_what_is_wrong(template: str, words: str) -> None:
    with pytest.raises(ValueError) as error:
        validate_template(template)
    assert words in str(error.value)


@pytest.fixture
def carol_elsewhere(carol: Member, other_workspace: Workspace) -> Member:
    """Carol also has a seat in another workspace, with an account of its own."""
    account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Initech Secret")
    return tenancy_services.member_add(workspace=other_workspace, email=carol.user.email, role="admin")


@pytest.mark.parametrize("template", REACHING_OUT)
def test_a_template_reaching_past_the_plain_values_renders_nothing(
    template: str, account: Account, jane: Contact, alice: Member, carol_elsewhere: Member
) -> None:
    values = message_values(account=account, contact=jane)
    assert render_text(f"[{template}]", values) == "[]"


@pytest.mark.parametrize("template", REACHING_OUT)
def test_a_template_reaching_past_the_plain_values_is_refused_with_its_line_and_column(template: str) -> None:
    with pytest.raises(ValueError) as error:
        validate_template(f"Hello,\n  {template}")
    name = template.strip("{} ")
    assert str(error.value).startswith(f"line 2:6: {name} is not a value message templates can use")


@pytest.mark.parametrize(
    ("template", "where"),
    [
        ("{% if owner.user.is_superuser %}x{% endif %}", "line 1:7"),
        ("{{ account.name|default:owner.user.email }}", "line 1:25"),
        ("{% firstof contact.first_name owner.user %}", "line 1:31"),
        ("x\n{% if contact %}{% elif workspace.members %}{% endif %}", "line 2:25"),
        ("{{ contact }}", "line 1:4"),
    ],
)
def test_names_are_checked_in_conditions_filter_arguments_and_firstof(template: str, where: str) -> None:
    with pytest.raises(ValueError) as error:
        validate_template(template)
    assert str(error.value).startswith(f"{where}: ")


def test_every_listed_value_may_be_used_and_renders_a_plain_value(account: Account, jane: Contact) -> None:
    template = "\n".join(f"{name}={{{{ {name} }}}}" for name in VALUES)
    validate_template(template)
    lines = dict(
        line.split("=", 1) for line in render_text(template, message_values(account=account, contact=jane)).splitlines()
    )
    assert lines["account.name"] == "Globex"
    assert lines["account.tier"] == "Enterprise"
    assert lines["contact.first_name"] == "Jane"
    assert lines["owner.name"] == "Carol"
    assert lines["workspace.name"] == "Acme CS"
    assert lines["account.url"].endswith(f"/w/acme/accounts/{account.pk}/")
    assert lines["account.renewal_date"] != ""


def test_a_model_instance_is_never_handed_to_a_template(account: Account) -> None:
    with pytest.raises(TypeError, match="account is a Account"):
        render_text("{{ account.name }}", {"account": account})
