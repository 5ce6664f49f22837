"""Invitations and password resets: an admin invites by e-mail with a role; the invitee follows a
signed link that works once and expires, sets a name and password and lands in the workspace.
Invitations are listed on the members page, re-sent (the old link stops working) and revoked.
Anyone asks for a password reset link, at most a few times per address."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from conftest import PASSWORD
from retain.messaging.tests.receivers import free_port
from retain.tenancy import services as tenancy_services
from retain.tenancy.models import AuditEntry, Invitation, Member, Workspace
from retain.web.views.auth import RESET_PER_EMAIL

W = "/w/acme/"
NEW_PASSWORD = "plum-orchard-lantern-42"


def login(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def _link(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://\S+", str(message.body))
    assert found is not None, message.body
    return re.sub(r"^https?://[^/]+", "", found.group(0))


def _post(client: Client, path: str, data: dict[str, str] | None = None) -> Any:
    """POST and run what the view left for after commit (the e-mail), as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(path, data or {})


def _invite(alice: Member, email: str = "sam@acme.example", role: str = "csm") -> str:
    response = _post(login(alice), W + "members/invitations/", {"email": email, "role": role})
    assert response.status_code == 302, response.content.decode()
    return _link(mail.outbox[-1])


def test_an_invitee_sets_a_name_and_password_and_lands_in_the_workspace(alice: Member, workspace: Workspace) -> None:
    path = _invite(alice, "Sam@Acme.example", "manager")
    message = mail.outbox[-1]
    assert message.to == ["sam@acme.example"]
    assert "Alice invites you to join Acme CS on Retain as Manager" in message.body
    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "Join Acme CS" in page.content.decode()
    response = visitor.post(path, {"first_name": "Sam", "last_name": "Lee", "password": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/w/acme/"
    sam = Member.objects.get(workspace=workspace, user__email="sam@acme.example")
    assert (sam.role, sam.display_name, sam.user.check_password(NEW_PASSWORD)) == ("manager", "Sam Lee", True)
    assert visitor.get("/w/acme/accounts/").status_code == 200  # logged in
    assert AuditEntry.objects.filter(action="invitation.accepted", actor=sam).exists()


def test_the_link_works_once(alice: Member) -> None:
    path = _invite(alice)
    Client().post(path, {"first_name": "Sam", "password": NEW_PASSWORD})
    again = Client().get(path)
    assert again.status_code == 404
    assert "does not work" in again.content.decode()
    assert Client().post(path, {"first_name": "Eve", "password": NEW_PASSWORD}).status_code == 404
    assert Member.objects.filter(user__email="sam@acme.example").count() == 1


def test_a_forged_or_expired_link_does_not_work(alice: Member) -> None:
    path = _invite(alice)
    invitation = Invitation.objects.get()
    assert Client().get(path.replace(f"/{invitation.pk}.", f"/{invitation.pk + 1}.")).status_code == 404
    assert Client().get(path[:-3] + "xyz/").status_code == 404
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert Client().get(path).status_code == 404


def test_a_weak_password_or_a_missing_name_is_refused_naming_the_field(alice: Member) -> None:
    path = _invite(alice)
    response = Client().post(path, {"first_name": "Sam", "password": "short"})
    assert response.status_code == 400
    assert "password" in response.context["form"].errors
    response = Client().post(path, {"first_name": "", "password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "first_name" in response.context["form"].errors
    assert not Member.objects.filter(user__email="sam@acme.example").exists()


def test_someone_with_a_login_joins_keeping_their_password(alice: Member, olga: Member) -> None:
    path = _invite(alice, "olga@other.example", "viewer")
    page = Client().get(path)
    assert "already have a Retain login" in page.content.decode()
    assert Client().post(path, {}).status_code == 302
    olga.user.refresh_from_db()
    assert olga.user.check_password(PASSWORD)
    assert Member.objects.get(workspace=alice.workspace, user=olga.user).role == "viewer"


def test_invitations_are_listed_re_sent_and_revoked(alice: Member) -> None:
    first_link = _invite(alice)
    invitation = Invitation.objects.get()
    client = login(alice)
    page = client.get(W + "members/").content.decode()
    assert f'data-invitation="{invitation.pk}"' in page and "sam@acme.example" in page and "Pending" in page
    assert _post(client, f"{W}members/invitations/{invitation.pk}/resend/").status_code == 302
    second_link = _link(mail.outbox[-1])
    assert len(mail.outbox) == 2 and second_link != first_link
    assert Client().get(first_link).status_code == 404  # the re-send replaced it
    assert Client().get(second_link).status_code == 200
    assert client.post(f"{W}members/invitations/{invitation.pk}/revoke/").status_code == 302
    assert Client().get(second_link).status_code == 404
    assert f'data-invitation="{invitation.pk}"' not in client.get(W + "members/").content.decode()
    actions = list(AuditEntry.objects.filter(action__startswith="invitation").values_list("action", flat=True))
    assert sorted(actions) == ["invitation.resent", "invitation.revoked"]


def test_inviting_a_member_again_is_refused_naming_the_field(alice: Member, carol: Member) -> None:
    response = login(alice).post(W + "members/invitations/", {"email": "carol@acme.example", "role": "csm"})
    assert response.status_code == 400
    errors = response.context["invite_form"].errors
    assert errors["email"] == ["carol@acme.example is already a member of this workspace"]
    _invite(alice)
    response = _post(login(alice), W + "members/invitations/", {"email": "sam@acme.example", "role": "csm"})
    assert response.status_code == 400
    assert "already has a pending invitation" in response.context["invite_form"].errors["email"][0]
    assert len(mail.outbox) == 1


def test_only_admins_invite_re_send_and_revoke(alice: Member, mark: Member, carol: Member, vic: Member) -> None:
    _invite(alice)
    invitation = Invitation.objects.get()
    for member in (mark, carol, vic):
        client = login(member)
        assert client.post(W + "members/invitations/", {"email": "x@acme.example", "role": "admin"}).status_code == 403
        assert _post(client, f"{W}members/invitations/{invitation.pk}/resend/").status_code == 403
        assert client.post(f"{W}members/invitations/{invitation.pk}/revoke/").status_code == 403
        assert "sam@acme.example" not in client.get(W + "members/").content.decode()
    assert Invitation.objects.count() == 1 and len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_invitations_are_404_for_an_outsider(alice: Member, olga: Member) -> None:
    _invite(alice)
    invitation = Invitation.objects.get()
    client = login(olga)
    assert client.post(W + "members/invitations/", {"email": "x@acme.example", "role": "admin"}).status_code == 404
    assert client.post(f"{W}members/invitations/{invitation.pk}/revoke/").status_code == 404
    # Not through her own workspace either.
    assert client.post(f"/w/other/members/invitations/{invitation.pk}/revoke/").status_code == 404
    assert _post(client, f"/w/other/members/invitations/{invitation.pk}/resend/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and len(mail.outbox) == 1


def test_a_mail_server_that_is_down_leaves_the_invitation_listed_to_re_send(
    transactional_db: None, alice: Member, settings: Any
) -> None:
    # Real commits: the e-mail goes when the service's transaction commits, inside the request.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody listens
    client = login(alice)
    response = client.post(W + "members/invitations/", {"email": "sam@acme.example", "role": "csm"})
    assert response.status_code == 302
    page = client.get(W + "members/").content.decode()
    assert "the e-mail could not be sent" in page
    invitation = Invitation.objects.get()
    assert f'data-invitation="{invitation.pk}"' in page
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert client.post(f"{W}members/invitations/{invitation.pk}/resend/").status_code == 302
    assert mail.outbox[-1].to == ["sam@acme.example"]


# Password reset ------------------------------------------------------------------------------------


def test_a_password_reset_link_sets_a_new_password(carol: Member) -> None:
    assert 'href="/password-reset/"' in Client().get("/login/").content.decode()
    response = Client().post("/password-reset/", {"email": "Carol@acme.example"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert mail.outbox[-1].to == ["carol@acme.example"]
    visitor = Client()
    form = visitor.get(_link(mail.outbox[-1]), follow=True)
    assert form.status_code == 200 and "Set a new password" in form.content.decode()
    done = visitor.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    carol.user.refresh_from_db()
    assert carol.user.check_password(NEW_PASSWORD)


def test_a_member_added_without_a_password_sets_one_by_reset(alice: Member, workspace: Workspace) -> None:
    tenancy_services.member_add(workspace=workspace, email="nopass@acme.example", role="csm")
    assert not get_user_model().objects.get(email="nopass@acme.example").has_usable_password()
    Client().post("/password-reset/", {"email": "nopass@acme.example"})
    assert mail.outbox[-1].to == ["nopass@acme.example"]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(carol: Member) -> None:
    response = Client().post("/password-reset/", {"email": "nobody@acme.example"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_password_resets_are_rate_limited_per_address(carol: Member, dave: Member) -> None:
    for _ in range(RESET_PER_EMAIL):
        assert Client().post("/password-reset/", {"email": "carol@acme.example"}).status_code == 302
    refused = Client().post("/password-reset/", {"email": "CAROL@acme.example"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 60
    assert len(mail.outbox) == RESET_PER_EMAIL
    # Another address is not held back by Carol's limit.
    assert Client().post("/password-reset/", {"email": "dave@acme.example"}).status_code == 302
    assert mail.outbox[-1].to == ["dave@acme.example"]
