"""Every error is {"errors": {name: [messages]}}, whatever the nesting of the original."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework.exceptions import ErrorDetail, Throttled

from retain.api.errors import exception_handler, flatten


def test_it_names_nested_fields_with_dots() -> None:
    detail = {
        "name": [ErrorDetail("This field is required.")],
        "contacts": {0: [ErrorDetail("bad id")]},
        "rows": [{}, {"email": ["not an e-mail"]}],
        "non_field_errors": ["the whole thing is wrong"],
    }
    assert flatten(detail) == {
        "name": ["This field is required."],
        "contacts.0": ["bad id"],
        "rows.1.email": ["not an e-mail"],
        "detail": ["the whole thing is wrong"],
    }


def test_a_bare_message_is_about_the_whole_request() -> None:
    assert flatten(["nope"]) == {"detail": ["nope"]}
    assert flatten({"detail": ErrorDetail("Not found.")}) == {"detail": ["Not found."]}


def test_a_service_validation_error_becomes_a_400_naming_the_field() -> None:
    response = exception_handler(ValidationError({"owner": "is not an active member of this workspace"}), {})
    assert response is not None
    assert response.status_code == 400
    assert response.data == {"errors": {"owner": ["is not an active member of this workspace"]}}
    response = exception_handler(ValidationError("no field at all"), {})
    assert response is not None
    assert response.data == {"errors": {"detail": ["no field at all"]}}


def test_other_exceptions_are_left_to_django() -> None:
    assert exception_handler(RuntimeError("bug"), {}) is None


def test_a_throttled_request_says_when_to_retry() -> None:
    response = exception_handler(Throttled(wait=7), {})
    assert response is not None
    assert (response.status_code, response["Retry-After"]) == (429, "7")
    assert list(response.data["errors"]) == ["detail"]
