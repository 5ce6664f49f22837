"""Message templates: the Django language, plain text, and a clear error for a broken template."""

from __future__ import annotations

import pytest

from retain.messaging.templating import render_text, validate_template


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
        ("{% for c in contacts %}", "Unclosed tag"),
        ("line one\n{% include 'web/base.html' %}", "line 2: the {% include %} tag is not allowed"),
        ("{% load static %}", "{% load %} tag is not allowed"),
    ],
)
def test_validate_template_says_what_is_wrong(template: str, words: str) -> None:
    with pytest.raises(ValueError) as error:
        validate_template(template)
    assert words in str(error.value)
