"""Who may read and write what: every route of the URL configuration, requested as six people.

TABLE below has one row per route name. Each row names the object its URL kwargs come from (see
world.py: `<int:pk>` is that object's id, `<slug:key>` its key, `<str:token>` its public token) and
the answer expected from each person, first to a read (GET), then to a write:

    anonymous   nobody logged in (the API: no token)
    outsider    Olga, admin of another workspace
    viewer      Vic, viewer in "acme"
    csm         Dave, a CSM who does not own the account everything hangs off (Carol does)
    manager     Mark
    admin       Alice

A web route's write is a POST with an empty form; an API route's write is every other method it
allows (POST, PATCH, PUT, DELETE) with an empty JSON body; where they answer differently the cell
lists the distinct answers in the route's order (`400/204`: PATCH 400, DELETE 204). An answer is a
status code, `login` for a redirect to the login page, or `-` for an API route without
that kind of method. Every request runs in a savepoint rolled back after it, so each one sees the
same world. An outsider's successful answer must not mention the world's account either (public
links aside: they show it to whoever holds them).

Adding a route: give it a `name=` and add a row under that name, with the object its kwargs need
(add the object to world.py if it is a new kind) and the twelve answers you mean it to give. Until
then test_every_route_has_a_name_and_a_row names the route, and each role's test lists the cells
that differ from what the route answered. Write the answers from the rule the route must follow
(retain/access.py), not by copying what it answered: this table is the statement of who may do
what, and a cell copied from a wrong answer would make the wrong answer the rule.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from retain.config.tests.world import World, build_world
from retain.tenancy.models import Member
from retain.tenancy.services import api_token_create

# Who may open what is decided above the database: run once, in the SQLite pass.
pytestmark = pytest.mark.engine_neutral

ROLES = ("anonymous", "outsider", "viewer", "csm", "manager", "admin")
API = "api/v1/"

TABLE = """
route                                   object                 | read: anon outsider viewer csm manager admin  | write: anon outsider viewer csm manager admin
# Ingest (Segment-compatible): a write key, never a member's session or token.
ingest-batch                            -                      | 405 405 405 405 405 405                      | 401 401 401 401 401 401
ingest-track                            -                      | 405 405 405 405 405 405                      | 401 401 401 401 401 401
ingest-identify                         -                      | 405 405 405 405 405 405                      | 401 401 401 401 401 401
ingest-group                            -                      | 405 405 405 405 405 405                      | 401 401 401 401 401 401
ingest-page                             -                      | 405 405 405 405 405 405                      | 401 401 401 401 401 401
ingest-screen                           -                      | 405 405 405 405 405 405                      | 401 401 401 401 401 401
# REST API, with a token (anonymous: none). Outsiders list their own workspace's (empty) lists.
api:api-schema                          -                      | 200 200 200 200 200 200                      | 405 405 405 405 405 405
api:account-list                        -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:account-detail                      account                | 401 404 200 200 200 200                      | 401 404 403 403 200 200
api:account-timeline                    account                | 401 404 200 200 200 200                      | - - - - - -
api:contact-list                        -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:contact-detail                      contact                | 401 404 200 200 200 200                      | 401 404 403 403 200 200
api:subscription-list                   -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:subscription-detail                 subscription           | 401 404 200 200 200 200                      | - - - - - -
api:subscription-change                 subscription           | - - - - - -                                  | 401 404 403 403 400 400
api:subscription-movements              subscription           | 401 404 200 200 200 200                      | - - - - - -
api:touchpoint-list                     -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:touchpoint-detail                   touchpoint             | 401 404 200 200 200 200                      | - - - - - -
api:segment-list                        -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:segment-detail                      segment                | 401 404 200 200 200 200                      | 401 404 403 403 200/204 200/204
api:segment-accounts                    segment                | 401 404 200 200 200 200                      | - - - - - -
api:member-list                         -                      | 401 200 200 200 200 200                      | - - - - - -
api:member-detail                       member                 | 401 404 200 200 200 200                      | 401 404 403 403 200 200
api:survey-list                         -                      | 401 200 200 200 200 200                      | 401 400 403 403 400 400
api:survey-detail                       survey                 | 401 404 200 200 200 200                      | 401 404 403 403 200 200
api:survey-response-list                -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:survey-response-detail              survey-response        | 401 404 200 200 200 200                      | - - - - - -
api:api-renewal-list                    -                      | 401 200 200 200 200 200                      | - - - - - -
api:api-renewal-detail                  renewal                | 401 404 200 200 200 200                      | 401 404 403 403 200 200
api:api-renewal-close                   renewal                | - - - - - -                                  | 401 404 403 403 400 400
api:api-business-review-list            -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-business-review-detail          business-review        | 401 404 200 200 200 200                      | 401 404 403 403 200 200
api:api-business-review-prepare         business-review        | - - - - - -                                  | 401 404 403 403 200 200
api:api-business-review-refresh         business-review        | - - - - - -                                  | 401 404 403 403 200 200
api:api-business-review-hold            business-review        | - - - - - -                                  | 401 404 403 403 400 400
api:api-business-review-follow-up       business-review        | - - - - - -                                  | 401 404 403 403 400 400
api:api-business-review-pdf             business-review        | 401 404 200 200 200 200                      | - - - - - -
api:api-expansion-list                  -                      | 401 200 200 200 200 200                      | - - - - - -
api:api-expansion-detail                expansion-opportunity  | 401 404 200 200 200 200                      | 401 404 403 403 200 200
api:api-expansion-close                 expansion-opportunity  | - - - - - -                                  | 401 404 403 403 400 400
api:account-lifecycle-stage             account                | - - - - - -                                  | 401 404 403 403 400 400
api:api-journey-template-list           -                      | 401 200 200 200 200 200                      | 401 400 403 403 400 400
api:api-journey-template-detail         journey-template       | 401 404 200 200 200 200                      | - - - - - -
api:api-journey-list                    -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-journey-detail                  journey                | 401 404 200 200 200 200                      | - - - - - -
api:api-milestone-list                  -                      | 401 200 200 200 200 200                      | - - - - - -
api:api-milestone-detail                milestone              | 401 404 200 200 200 200                      | - - - - - -
api:api-milestone-tick                  milestone              | - - - - - -                                  | 401 404 403 403 400 400
api:api-barrier-list                    -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-barrier-detail                  barrier                | 401 404 200 200 200 200                      | - - - - - -
api:api-barrier-resolve                 barrier                | - - - - - -                                  | 401 404 403 403 200 200
api:api-success-plan-list               -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-success-plan-detail             success-plan           | 401 404 200 200 200 200                      | 401 404 403 403 200 200
api:api-success-plan-history            success-plan           | 401 404 200 200 200 200                      | - - - - - -
api:api-goal-list                       -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-goal-detail                     goal                   | 401 404 200 200 200 200                      | 401 404 403 403 400/204 400/204
api:api-objective-list                  -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-objective-detail                objective              | 401 404 200 200 200 200                      | 401 404 403 403 400/204 400/204
api:api-success-metric-list             -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-success-metric-detail           success-metric         | 401 404 200 200 200 200                      | 401 404 403 403 400/204 400/204
api:api-commitment-list                 -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-commitment-detail               commitment             | 401 404 200 200 200 200                      | 401 404 403 403 400/204 400/204
api:api-shared-link-list                -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-shared-link-detail              shared-link            | 401 404 200 200 200 200                      | - - - - - -
api:api-shared-link-revoke              shared-link            | - - - - - -                                  | 401 404 403 403 200 200
# The team's API: the coverage model, reassigning and balancing are the managers'; an outsider's own workspace answers.
api:api-team-coverage                   -                      | 401 200 200 200 200 200                      | 401 400 403 403 400 400
api:api-team-assignments                -                      | 401 200 200 200 200 200                      | - - - - - -
api:api-team-reassign                   -                      | - - - - - -                                  | 401 400 403 403 400 400
api:api-team-cadence                    -                      | 401 200 200 200 200 200                      | - - - - - -
api:api-balance-plan-list               -                      | 401 200 403 403 200 200                      | 401 201 403 403 201 201
api:api-balance-plan-detail             balance-plan           | 401 404 403 403 200 200                      | - - - - - -
api:api-balance-plan-apply              balance-plan           | - - - - - -                                  | 401 404 403 403 200 200
api:api-handoff-list                    -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:account-team-cadence                account                | 401 404 200 200 200 200                      | - - - - - -
api:account-team-group                  account                | 401 404 200 200 200 200                      | - - - - - -
api:account-team-parent                 account                | - - - - - -                                  | 401 404 403 403 400/200 400/200
api:account-team-stakeholders           account                | 401 404 200 200 200 200                      | 401 404 403 403 400 400
# Notifications: only ever one's own.
api:api-notification-list               -                      | 401 200 200 200 200 200                      | - - - - - -
api:api-notification-read               -                      | - - - - - -                                  | 401 200 200 200 200 200
api:api-task-list                       -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-task-detail                     task                   | 401 404 200 200 200 200                      | 401 404 403 403 200 200
api:api-task-cancel                     task                   | - - - - - -                                  | 401 404 403 403 200 200
api:api-task-complete                   task                   | - - - - - -                                  | 401 404 403 403 200 200
api:api-task-reopen                     task                   | - - - - - -                                  | 401 404 403 403 400 400
api:api-message-list                    -                      | 401 200 200 200 200 200                      | - - - - - -
api:api-message-detail                  message                | 401 404 200 200 200 200                      | - - - - - -
api:api-message-retry                   message                | - - - - - -                                  | 401 404 403 400 400 400
api:api-inbound-list                    -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-learning-list                   -                      | 401 200 200 200 200 200                      | - - - - - -
api:api-learning-import                 -                      | - - - - - -                                  | 401 400 403 400 400 400
api:api-time-in-stage-list              -                      | 401 200 200 200 200 200                      | - - - - - -
api:api-portfolio-target-list           -                      | 401 200 200 200 200 200                      | 401 400 403 403 400 400
api:api-portfolio-target-detail         portfolio-target       | - - - - - -                                  | 401 404 403 403 204 204
api:api-suppression-list                -                      | 401 200 200 200 200 200                      | 401 400 403 400 400 400
api:api-suppression-detail              suppression            | - - - - - -                                  | 401 404 403 403 204 204
api:api-email-event-list                -                      | - - - - - -                                  | 401 400 403 400 400 400
api:api-inbound-event-list              -                      | - - - - - -                                  | 401 400 403 400 400 400
api:contact-erasure-erase               contact                | - - - - - -                                  | 401 404 403 403 403 200
# Deleting the workspace acts on the token's own workspace: Olga's is hers, and {} lacks the slug.
api:workspace-data-delete-workspace     -                      | - - - - - -                                  | 401 400 403 403 403 400
api:api-not-found                       -                      | 404 404 404 404 404 404                      | 404 404 404 404 404 404
# The API reference page draws the public schema: public like it.
api-reference                           -                      | 200 200 200 200 200 200                      | 405 405 405 405 405 405
# Inbound questions from providers: the token names the workspace; Mailgun and Slack must sign.
inbound-hook-json                       inbound                | 405 405 405 405 405 405                      | 400 400 400 400 400 400
inbound-hook-postmark                   inbound                | 405 405 405 405 405 405                      | 400 400 400 400 400 400
inbound-hook-sendgrid                   inbound                | 405 405 405 405 405 405                      | 400 400 400 400 400 400
inbound-hook-mailgun                    inbound                | 405 405 405 405 405 405                      | 403 403 403 403 403 403
inbound-hook-zendesk                    inbound                | 405 405 405 405 405 405                      | 400 400 400 400 400 400
inbound-hook-intercom                   inbound                | 405 405 405 405 405 405                      | 400 400 400 400 400 400
inbound-hook-slack                      inbound                | 405 405 405 405 405 405                      | 403 403 403 403 403 403
# Public pages reached by a token in an e-mail or a shared link: the same for everybody.
survey-answer                           survey                 | 200 200 200 200 200 200                      | 400 400 400 400 400 400
survey-unsubscribe                      contact                | 200 200 200 200 200 200                      | 200 200 200 200 200 200
shared-plan                             shared-link            | 200 200 200 200 200 200                      | 405 405 405 405 405 405
shared-review                           review-link            | 200 200 200 200 200 200                      | 405 405 405 405 405 405
message-unsubscribe                     contact                | 200 200 200 200 200 200                      | 200 200 200 200 200 200
invitation-accept                       invitation             | 200 200 200 200 200 200                      | 400 400 400 400 400 400
password_reset                          -                      | 200 200 200 200 200 200                      | 200 200 200 200 200 200
password_reset_done                     -                      | 200 200 200 200 200 200                      | 405 405 405 405 405 405
password_reset_confirm                  password-reset         | 302 302 302 302 302 302                      | 302 302 302 302 302 302
password_reset_complete                 -                      | 200 200 200 200 200 200                      | 405 405 405 405 405 405
# The customer portal: a contact's own session (cookie) from an e-mailed link; a member's session is
# nobody there, so every page sends everyone to the portal's sign-in page (302).
portal-home                             -                      | 302 302 302 302 302 302                      | 405 405 405 405 405 405
portal-sign-in                          -                      | 200 200 200 200 200 200                      | 400 400 400 400 400 400
portal-sign-in-link                     portal-link            | 200 200 200 200 200 200                      | 302 302 302 302 302 302
portal-sign-out                         -                      | 405 405 405 405 405 405                      | 302 302 302 302 302 302
portal-commitments                      -                      | 302 302 302 302 302 302                      | 405 405 405 405 405 405
portal-commitment-tick                  commitment             | 405 405 405 405 405 405                      | 302 302 302 302 302 302
portal-milestone-tick                   milestone              | 405 405 405 405 405 405                      | 302 302 302 302 302 302
portal-path                             -                      | 302 302 302 302 302 302                      | 405 405 405 405 405 405
portal-reviews                          -                      | 302 302 302 302 302 302                      | 405 405 405 405 405 405
portal-review                           business-review        | 302 302 302 302 302 302                      | 405 405 405 405 405 405
portal-resources                        -                      | 302 302 302 302 302 302                      | 405 405 405 405 405 405
portal-ask                              -                      | 302 302 302 302 302 302                      | 302 302 302 302 302 302
# The web site, with a session. A POST-only page answers 405 before it asks who you are.
home                                    -                      | login 302 302 302 302 302                    | login 302 302 302 302 302
login                                   -                      | 200 200 200 200 200 200                      | 200 200 200 200 200 200
logout                                  -                      | 405 405 405 405 405 405                      | login login login login login login
workspace                               -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
accounts                                -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
search                                  -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
accounts-export                         -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
account-create                          -                      | login 404 403 200 200 200                    | login 404 403 200 200 200
account                                 account                | login 404 200 200 200 200                    | 405 405 405 405 405 405
account-edit                            account                | login 404 403 403 200 200                    | login 404 403 403 200 200
account-timeline                        account                | login 404 200 200 200 200                    | 405 405 405 405 405 405
touchpoint-log                          account                | login 404 403 403 200 200                    | login 404 403 403 200 200
contact-create                          account                | login 404 403 403 200 200                    | login 404 403 403 200 200
contact-edit                            contact                | login 404 403 403 200 200                    | login 404 403 403 200 200
subscription-create                     account                | login 404 403 403 200 200                    | login 404 403 403 200 200
subscription-change                     subscription           | login 404 403 403 200 200                    | login 404 403 403 200 200
account-pulse                           account                | 405 405 405 405 405 405                      | login 404 403 403 302 302
success-plan                            account                | login 404 200 200 200 200                    | login 404 403 403 400 400
business-reviews                        account                | login 404 200 200 200 200                    | login 404 403 403 400 400
business-review                         business-review        | login 404 200 200 200 200                    | login 404 403 403 400 400
business-review-pdf                     business-review        | login 404 200 200 200 200                    | 405 405 405 405 405 405
health                                  -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
scorecards                              -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
scorecard-edit                          -                      | login 404 200 200 200 200                    | login 404 403 403 200 200
scorecard                               scorecard              | login 404 200 200 200 200                    | 405 405 405 405 405 405
# segments and books are read-only pages that answer any method the same way.
segments                                -                      | login 404 200 200 200 200                    | login 404 200 200 200 200
segment-save                            -                      | 405 405 405 405 405 405                      | login 404 403 400 400 400
segment                                 segment                | login 404 302 302 302 302                    | login 404 302 302 302 302
segment-delete                          segment                | 405 405 405 405 405 405                      | login 404 403 403 302 302
revenue                                 -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
leadership                              -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
leadership-pdf                          -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
books                                   -                      | login 404 200 200 200 200                    | login 404 200 200 200 200
book-move                               -                      | login 404 403 403 200 200                    | login 404 403 403 400 400
# The team: home pages and the coverage model are read by every member; balancing is the managers'.
my-book                                 -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
team                                    -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
# Notifications: everyone reads their own; another member's answers 404 (the world's is its owner's).
notifications                           -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
notification-count                      -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
notification-read                       -                      | 405 405 405 405 405 405                      | login 404 302 302 302 302
notification-open                       notification           | 405 405 405 405 405 405                      | login 404 404 404 404 404
team-member                             member                 | login 404 200 200 200 200                    | 405 405 405 405 405 405
team-coverage                           -                      | login 404 200 200 200 200                    | login 404 403 403 400 400
team-balance                            -                      | login 404 403 403 200 200                    | login 404 403 403 302 302
team-plan                               balance-plan           | login 404 403 403 200 200                    | login 404 403 403 400 400
account-team                            account                | login 404 200 200 200 200                    | login 404 403 403 400 400
# Education, time in stage and targets: read by every member; importing attendees needs write
# access, targets are the managers'.
account-education                       account                | login 404 200 200 200 200                    | 405 405 405 405 405 405
team-education                          -                      | login 404 200 200 200 200                    | login 404 403 400 400 400
team-time-in-stage                      -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
team-targets                            -                      | login 404 200 200 200 200                    | login 404 403 403 400 400
settings                                -                      | login 404 200 200 200 200                    | login 404 403 403 403 400
rate-add                                -                      | 405 405 405 405 405 405                      | login 404 403 403 403 400
members                                 -                      | login 404 200 200 200 200                    | login 404 403 403 403 400
member-edit                             member                 | login 404 403 403 200 200                    | login 404 403 403 400 400
api-tokens                              -                      | login 404 200 200 200 200                    | login 404 400 400 400 400
# Tokens are revoked by their owner only (Carol, here): anybody else gets 404, whatever the role.
api-token-revoke                        api-token              | 405 405 405 405 405 405                      | login 404 404 404 404 404
invitation-create                       -                      | 405 405 405 405 405 405                        | login 404 403 403 403 400
# The portal in the app: managers and admins switch it and edit resources; whoever may edit the
# account invites its contacts and revokes them (Dave does not own Globex).
portal-settings                         -                      | login 404 200 200 200 200                    | login 404 403 403 302 302
portal-resource-add                     -                      | 405 405 405 405 405 405                      | login 404 403 403 400 400
portal-resource-edit                    portal-resource        | login 404 200 200 200 200                    | login 404 403 403 400 400
portal-invite                           -                      | 405 405 405 405 405 405                      | login 404 403 400 400 400
portal-access-revoke                    portal-access          | 405 405 405 405 405 405                      | login 404 403 403 302 302
invitation-resend                       invitation             | 405 405 405 405 405 405                        | login 404 403 403 403 302
invitation-revoke                       invitation             | 405 405 405 405 405 405                        | login 404 403 403 403 302
audit                                   -                      | login 404 403 403 403 200                    | 405 405 405 405 405 405
audit-csv                               -                      | login 404 403 403 403 200                    | 405 405 405 405 405 405
jobs                                    -                      | login 404 403 403 403 200                    | 405 405 405 405 405 405
warehouse                               -                      | login 404 403 403 403 200                    | login 404 403 403 403 400
warehouse-connection                    warehouse-connection   | 405 405 405 405 405 405                      | login 404 403 403 403 400
warehouse-measure-new                   -                      | login 404 403 403 403 200                    | login 404 403 403 403 400
warehouse-measure                       warehouse-measure      | login 404 403 403 403 200                    | login 404 403 403 403 400
data                                    -                      | login 404 403 403 403 200                    | 405 405 405 405 405 405
data-export                             -                      | 405 405 405 405 405 405                        | login 404 403 403 403 200
workspace-delete                        -                      | 405 405 405 405 405 405                        | login 404 403 403 403 400
contact-erase                           contact                | login 404 403 403 403 200                    | login 404 403 403 403 400
write-keys                              -                      | login 404 403 403 200 200                    | login 404 403 403 400 400
write-key-revoke                        write-key              | 405 405 405 405 405 405                      | login 404 403 403 302 302
write-key                               write-key              | login 404 403 403 200 200                    | login 404 403 403 200 200
unmatched-groups                        -                      | login 404 403 403 403 200                    | 405 405 405 405 405 405
unmatched-group-resolve                 unmatched-group        | 405 405 405 405 405 405                      | login 404 403 403 403 400
imports                                 -                      | login 404 200 200 200 200                    | login 404 403 403 400 400
import                                  import                 | login 404 200 200 200 200                    | 405 405 405 405 405 405
import-progress                         import                 | login 404 200 200 200 200                    | 405 405 405 405 405 405
surveys                                 -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
survey                                  survey                 | login 404 200 200 200 200                    | 405 405 405 405 405 405
survey-export                           survey                 | login 404 200 200 200 200                    | 405 405 405 405 405 405
survey-create                           -                      | login 404 403 403 200 200                    | login 404 403 403 200 200
survey-edit                             survey                 | login 404 403 403 200 200                    | login 404 403 403 200 200
survey-test-send                        survey                 | 405 405 405 405 405 405                      | login 404 403 403 302 302
contact-surveys-snooze                  contact                | 405 405 405 405 405 405                      | login 404 403 403 302 302
renewals                                -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
renewals-csv                            -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
renewals-at-risk                        -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
renewal-reasons                         -                      | login 404 200 200 200 200                    | login 404 403 403 200 200
renewal-reason-edit                     reason                 | 405 405 405 405 405 405                      | login 404 403 403 302 302
renewal                                 renewal                | login 404 200 200 200 200                    | 405 405 405 405 405 405
renewal-edit                            renewal                | 405 405 405 405 405 405                      | login 404 403 403 400 400
renewal-close                           renewal                | 405 405 405 405 405 405                      | login 404 403 403 400 400
spend                                   -                      | login 404 200 200 200 200                    | login 404 403 403 400 400
book                                    member                 | login 404 200 200 200 200                    | 405 405 405 405 405 405
risk                                    -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
risk-csv                                -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
retention                               -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
expansion                               -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
expansion-close                         expansion-opportunity  | 405 405 405 405 405 405                      | login 404 403 403 302 302
playbooks                               -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
playbook-new                            -                      | login 404 403 403 200 200                    | login 404 403 403 200 200
playbook-preview                        -                      | 405 405 405 405 405 405                      | login 404 403 403 200 200
playbook                                playbook               | login 404 200 200 200 200                    | 405 405 405 405 405 405
playbook-edit                           playbook               | login 404 403 403 200 200                    | login 404 403 403 200 200
playbook-today                          playbook               | login 404 200 200 200 200                    | 405 405 405 405 405 405
playbook-simulate                       playbook               | login 404 400 400 400 400                    | 405 405 405 405 405 405
playbook-active                         playbook               | 405 405 405 405 405 405                      | login 404 403 403 302 302
account-playbooks                       account                | login 404 200 200 200 200                    | login 404 403 403 200 200
journeys                                -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
journeys-csv                            -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
journeys-metrics                        -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
journeys-barriers                       -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
journey-templates                       -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
journey-template-publish                journey-template       | login 404 403 403 200 200                    | login 404 403 403 400 400
milestone-tick                          milestone              | 405 405 405 405 405 405                      | login 404 403 403 302 302
barrier-add                             milestone              | 405 405 405 405 405 405                      | login 404 403 403 302 302
barrier-resolve                         barrier                | 405 405 405 405 405 405                      | login 404 403 403 302 302
account-lifecycle                       account                | 405 405 405 405 405 405                      | login 404 403 403 302 302
tasks                                   -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
tasks-team                              -                      | login 404 403 403 200 200                    | 405 405 405 405 405 405
task-new                                -                      | login 404 403 200 200 200                    | login 404 403 200 200 200
task                                    task                   | login 404 200 200 200 200                    | 405 405 405 405 405 405
task-edit                               task                   | 405 405 405 405 405 405                      | login 404 403 403 400 400
task-complete                           task                   | 405 405 405 405 405 405                      | login 404 403 403 302 302
task-check                              task                   | 405 405 405 405 405 405                      | login 404 403 403 302 302
task-cancel                             task                   | 405 405 405 405 405 405                      | login 404 403 403 302 302
task-reopen                             task                   | 405 405 405 405 405 405                      | login 404 403 403 302 302
inbound                                 -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
inbound-new                             -                      | 405 405 405 405 405 405                      | login 404 403 302 302 302
inbound-correct                         inbound                | 405 405 405 405 405 405                      | login 404 403 302 302 302
inbound-answer                          inbound                | 405 405 405 405 405 405                      | login 404 403 302 302 302
inbound-unmatched                       -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
inbound-feedback                        -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
inbound-measures                        -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
inbound-rules                           -                      | login 404 200 200 200 200                    | login 404 403 403 302 302
inbound-settings                        -                      | 405 405 405 405 405 405                      | login 404 403 403 403 302
inbound-slack                           -                      | login 404 200 200 200 200                    | login 404 403 400 400 400
messages                                -                      | login 404 200 200 200 200                    | 405 405 405 405 405 405
# Messages and the suppression list are workspace operations: any member who may write.
message-retry                           message                | 405 405 405 405 405 405                      | login 404 403 302 302 302
suppression-add                         -                      | 405 405 405 405 405 405                      | login 404 403 302 302 302
suppression-remove                      suppression            | 405 405 405 405 405 405                      | login 404 403 403 302 302
bounce-mark                             -                      | 405 405 405 405 405 405                      | login 404 403 302 302 302
"""  # noqa: E501


@dataclass(frozen=True)
class Row:
    route: str
    obj: str
    read: tuple[str, ...]
    write: tuple[str, ...]


def parse(table: str) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for line in table.strip().splitlines()[1:]:
        if line.startswith("#"):
            continue
        cells = [cell for cell in line.split() if cell != "|"]
        assert len(cells) == 2 + 2 * len(ROLES), f"a row needs a route, an object and 12 answers: {line!r}"
        route, obj = cells[0], cells[1]
        assert route not in rows, f"route {route} has two rows"
        rows[route] = Row(route, obj, tuple(cells[2:8]), tuple(cells[8:]))
    return rows


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: Any

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith(API)

    @property
    def key(self) -> str:
        """Its row's name: the route name, `api:` before an API route's (they reuse web names)."""
        return f"api:{self.name}" if self.is_api else self.name

    def methods(self) -> tuple[list[str], list[str]]:
        """(read methods, write methods) this route answers."""
        if not self.is_api:
            return ["get"], ["post"]
        actions = getattr(self.callback, "actions", None)
        if actions is not None:  # a viewset route: exactly the methods it maps
            allowed = list(actions)
        else:
            allowed = [m.lower() for m in getattr(self.callback.cls, "http_method_names", ["get"])]
        # HEAD and OPTIONS answer like GET: not writes (a viewset maps HEAD once it has served a GET).
        allowed = [m for m in allowed if m not in ("head", "options", "trace")]
        return [m for m in allowed if m == "get"], [m for m in allowed if m != "get"]


def url_routes() -> list[Route]:
    """Every route of the URL configuration, by name."""
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(Route(entry.name or "", prefix + str(entry.pattern), entry.callback))

    walk(get_resolver().url_patterns, "")
    return found


def url_for(route: Route, row: Row, world: World) -> str:
    kwargs: dict[str, Any] = {}
    for name in kwarg_names(route.pattern):
        if name == "slug":
            kwargs[name] = world.slug
        elif name == "key":
            kwargs[name] = world.keys[row.obj]
        elif name == "token":
            kwargs[name] = world.tokens[row.obj]
        elif name == "uidb64":
            kwargs[name] = world.tokens[row.obj + "-uid"]
        elif name == "index":
            kwargs[name] = 0
        elif name == "rest":
            kwargs[name] = "no-such-endpoint/"
        else:  # pk, member_pk
            kwargs[name] = world.ids[row.obj]
    return reverse(route.name, kwargs=kwargs)


KWARG = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def kwarg_names(pattern: str) -> list[str]:
    """The kwargs of a path() (`<int:pk>`) or re_path() (`(?P<pk>…)`) pattern."""
    return [plain or regex for plain, regex in KWARG.findall(pattern)]


@pytest.fixture
def people(alice: Member, mark: Member, carol: Member, dave: Member, vic: Member, olga: Member) -> dict[str, Any]:
    return {"anonymous": None, "outsider": olga, "viewer": vic, "csm": dave, "manager": mark, "admin": alice}


@pytest.fixture
def world(alice: Member, carol: Member) -> World:
    return build_world(owner=carol, admin=alice)


def answer(response: Any) -> str:
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return "login"
    return str(response.status_code)


def clients(member: Member | None) -> tuple[Client, Client]:
    """(a browser logged in as the member, an API client sending the member's token)."""
    web, api = Client(raise_request_exception=False), Client(raise_request_exception=False)
    if member is not None:
        web.force_login(member.user)
        _, raw = api_token_create(member=member, name="Access matrix")
        api.defaults["HTTP_AUTHORIZATION"] = f"Token {raw}"
    return web, api


def ask(client: Client, method: str, url: str, *, api: bool) -> Any:
    """One request, its effects rolled back; rate limits start from zero each time.

    The cookies are put back too: a POST to logout (or login) replaces the session the next request
    must still carry.
    """
    cache.clear()
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        if api:
            response = client.generic(method.upper(), url, json.dumps({}), content_type="application/json")
        else:
            response = client.generic(method.upper(), url, "", content_type="application/x-www-form-urlencoded")
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def observe(route: Route, row: Row, world: World, web: Client, api: Client) -> Iterator[tuple[str, str, Any]]:
    """(kind, answer, response) for the read and for each write method of a route."""
    client = api if route.is_api else web
    url = url_for(route, row, world)
    reads, writes = route.methods()
    for kind, methods in (("read", reads), ("write", writes)):
        if not methods:
            yield kind, "-", None
        for method in methods:
            response = ask(client, method, url, api=route.is_api)
            yield kind, answer(response), response


def test_every_route_has_a_name_and_a_row() -> None:
    routes = url_routes()
    unnamed = [route.pattern for route in routes if not route.name]
    assert not unnamed, f"routes without a name cannot be in the access matrix: {unnamed}"
    rows = parse(TABLE)
    names = {route.key for route in routes}
    missing = sorted(names - set(rows))
    stale = sorted(set(rows) - names)
    assert not missing and not stale, f"routes without a row: {missing}; rows without a route: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_as_the_table_says(role: str, people: dict[str, Any], world: World) -> None:
    rows = parse(TABLE)
    column = ROLES.index(role)
    web, api = clients(people[role])
    wrong: list[str] = []
    for route in url_routes():
        row = rows.get(route.key)
        if row is None:  # test_every_route_has_a_name_and_a_row names it
            continue
        answers: dict[str, list[str]] = {"read": [], "write": []}
        for kind, got, response in observe(route, row, world, web, api):
            answers[kind].append(got)
            # A public link shows its account to whoever holds it; everything else hides acme from Olga.
            public = "token" in kwarg_names(route.pattern)
            if role == "outsider" and not public and response is not None and response.status_code < 300:
                assert b"Globex" not in response.content, f"{route.key} shows the outsider acme's account"
        for kind, got_all in answers.items():
            got = "/".join(dict.fromkeys(got_all))
            expected = getattr(row, kind)[column]
            if got != expected:
                wrong.append(f"{route.key}: {kind} as {role}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)
