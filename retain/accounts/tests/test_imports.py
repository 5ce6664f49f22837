"""CSV imports of accounts, contacts and subscriptions: what is accepted, what is refused and why."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from retain.accounts.choices import ContactRole, ImportStatus, MovementKind
from retain.accounts.imports import ImportResult, csv_import, run_problems, run_summary
from retain.accounts.imports.values import parse_date, parse_money
from retain.accounts.models import Account, Contact, ImportRun, Subscription, SubscriptionMovement, TimelineEntry
from retain.accounts.selectors import workspace_today
from retain.tenancy import services as tenancy_services
from retain.tenancy.models import Member, Workspace

ACCOUNTS = (
    "External ID,Name,Domain,Owner email,Tier,Employees,Annual revenue\n"
    'crm-10,Initech,initech.example,carol@acme.example,enterprise,250,"12,000,000"\n'
    "crm-11,Hooli,https://www.hooli.example/,,strategic,,\n"
)


def run(
    workspace: Workspace,
    kind: str,
    content: str | bytes,
    *,
    filename: str = "",
    actor: Member | None = None,
    dry_run: bool = False,
    allow_partial: bool = False,
) -> ImportResult:
    data = content.encode() if isinstance(content, str) else content
    return csv_import(
        workspace=workspace,
        actor=actor,
        kind=kind,
        filename=filename or f"{kind}.csv",
        source=io.BytesIO(data),
        dry_run=dry_run,
        allow_partial=allow_partial,
    )


def report(result: ImportResult) -> list[str]:
    return run_problems(result.run)


def counts(result: ImportResult) -> tuple[int, int, int, int]:
    r = result.run
    return r.rows_created, r.rows_updated, r.rows_unchanged, r.rows_rejected


# Accounts ----------------------------------------------------------------------------------------


def test_accounts_are_created_with_their_owner_found_by_email(workspace: Workspace, carol: Member) -> None:
    result = run(workspace, "accounts", ACCOUNTS)
    assert result.run.status == ImportStatus.APPLIED
    assert counts(result) == (2, 0, 0, 0)
    initech = Account.objects.get(external_id="crm-10")
    assert (initech.owner, initech.tier, initech.employees) == (carol, "enterprise", 250)
    assert initech.annual_revenue == Decimal("12000000")
    assert Account.objects.get(external_id="crm-11").domain == "hooli.example"
    assert TimelineEntry.objects.filter(kind="account_created", actor_label="import").count() == 2


def test_importing_the_same_file_twice_leaves_the_same_rows_and_no_new_timeline_entries(
    workspace: Workspace, carol: Member
) -> None:
    run(workspace, "accounts", ACCOUNTS)
    contacts = "External ID,Account ID,Email,First name,Role\nc-1,crm-10,peter@initech.example,Peter,champion\n"
    subscriptions = (
        "External ID,Account ID,Product,MRR,Seats,Start date,Term end date\n"
        "s-1,crm-10,Marketing Hub,500,5,2025-01-01,2026-01-01\n"
    )
    run(workspace, "contacts", contacts)
    run(workspace, "subscriptions", subscriptions)
    before = (
        list(Account.objects.values().order_by("pk")),
        list(Contact.objects.values().order_by("pk")),
        list(Subscription.objects.values().order_by("pk")),
        TimelineEntry.objects.count(),
        SubscriptionMovement.objects.count(),
    )

    again = [
        run(workspace, "accounts", ACCOUNTS),
        run(workspace, "contacts", contacts),
        run(workspace, "subscriptions", subscriptions),
    ]

    assert [counts(r) for r in again] == [(0, 0, 2, 0), (0, 0, 1, 0), (0, 0, 1, 0)]
    after = (
        list(Account.objects.values().order_by("pk")),
        list(Contact.objects.values().order_by("pk")),
        list(Subscription.objects.values().order_by("pk")),
        TimelineEntry.objects.count(),
        SubscriptionMovement.objects.count(),
    )
    assert after == before


def test_a_changed_row_updates_the_account_and_says_what_changed(workspace: Workspace, account: Account) -> None:
    result = run(workspace, "accounts", "External ID,Name,Industry\ncrm-1,Globex,Energy\n")
    assert counts(result) == (0, 1, 0, 0)
    entry = TimelineEntry.objects.filter(account=account, kind="account_updated").get()
    assert entry.summary == "Account updated: industry  → Energy"


def test_a_hubspot_company_export_is_understood_and_annual_revenue_never_changes_arr(
    workspace: Workspace, account: Account, carol: Member
) -> None:
    hubspot = (
        '"Record ID","Company name","Company Domain Name","Annual Revenue","Number of Employees",'
        '"Industry","Company owner","Lifecycle Stage"\n'
        '"crm-1","Globex","globex.example","50000000","1200","COMPUTER_SOFTWARE","carol","customer"\n'
        '"9001","Umbrella","umbrella.example","","","","",""\n'
    )
    result = run(workspace, "accounts", hubspot)
    assert result.run.status == ImportStatus.APPLIED, report(result)
    assert result.ignored_columns == ["Lifecycle Stage"]
    account.refresh_from_db()
    assert account.owner == carol
    account.refresh_from_db()
    assert (account.annual_revenue, account.employees) == (Decimal("50000000"), 1200)
    assert (account.mrr, account.arr) == (Decimal("1000"), Decimal("12000"))
    assert Account.objects.get(external_id="9001").mrr == 0


def test_a_salesforce_export_with_semicolons_and_european_numbers_is_understood(
    workspace: Workspace, mark: Member
) -> None:
    salesforce = (
        "Account ID;Account Name;Website;Account Owner Email;Annual Revenue;Customer Since\n"
        "0015g00000XyZ1;Stark Industries;http://www.stark.example;MARK@acme.example;1.500.000,50;15.03.2021\n"
    )
    result = run(workspace, "accounts", salesforce)
    assert result.run.status == ImportStatus.APPLIED, report(result)
    stark = Account.objects.get(external_id="0015g00000XyZ1")
    assert (stark.name, stark.domain, stark.owner) == ("Stark Industries", "stark.example", mark)
    assert stark.annual_revenue == Decimal("1500000.50")
    assert stark.customer_since == dt.date(2021, 3, 15)


def test_utf8_with_a_byte_order_mark_is_read(workspace: Workspace) -> None:
    result = run(workspace, "accounts", "\ufeffExternal ID,Name\ncrm-20,Zürich Versicherung\n".encode())
    assert result.run.status == ImportStatus.APPLIED, report(result)
    assert Account.objects.get(external_id="crm-20").name == "Zürich Versicherung"


def test_utf16_with_a_byte_order_mark_and_tabs_is_read(workspace: Workspace) -> None:
    content = "External ID\tName\tDomain\ncrm-21\tBłękitna Sp. z o.o.\tblekitna.example\n".encode("utf-16")
    result = run(workspace, "accounts", content)
    assert result.run.status == ImportStatus.APPLIED, report(result)
    assert Account.objects.get(external_id="crm-21").name == "Błękitna Sp. z o.o."


def test_a_semicolon_file_with_quoted_semicolons_is_read(workspace: Workspace) -> None:
    result = run(workspace, "accounts", 'External ID;Name\ncrm-22;"Smith; Wesson"\n')
    assert result.run.status == ImportStatus.APPLIED, report(result)
    assert Account.objects.get(external_id="crm-22").name == "Smith; Wesson"


# Bad files: each refused with the line, the column and the reason ---------------------------------


def test_undecodable_bytes_are_refused_naming_the_line_and_column(workspace: Workspace) -> None:
    result = run(workspace, "accounts", b"External ID,Name\ncrm-1,Acme\ncrm-2,Caf\xe9 Noir\n")
    assert result.run.status == ImportStatus.REFUSED
    assert report(result) == [
        "accounts.csv:3:Name: bytes 0xE9 are not valid UTF-8: "
        "save the file as UTF-8, or as UTF-16 with a byte-order mark"
    ]
    assert not Account.objects.exists()


def test_a_ragged_row_is_refused(workspace: Workspace) -> None:
    result = run(
        workspace, "accounts", "External ID,Name,Domain\ncrm-1,Acme,acme.example\ncrm-2,Globex, Inc,globex.example\n"
    )
    assert report(result) == [
        "accounts.csv:3:field 4: the row has 4 fields but the header has 3 "
        "(is a value holding a comma missing its quotes?)"
    ]
    assert not Account.objects.exists()


def test_a_short_row_names_the_first_missing_column(workspace: Workspace) -> None:
    result = run(workspace, "accounts", "External ID,Name,Domain\ncrm-1,Acme\n")
    assert report(result) == [
        "accounts.csv:2:Domain: the row has 2 fields but the header has 3 "
        "(is a value holding a comma missing its quotes?)"
    ]


def test_a_contact_for_an_unknown_account_is_refused(workspace: Workspace, account: Account) -> None:
    contacts = "Contact ID,Account ID,Email\nc-1,crm-1,ann@globex.example\nc-2,crm-404,bob@nowhere.example\n"
    result = run(workspace, "contacts", contacts)
    assert report(result) == ["contacts.csv:3:Account ID: no account with external id 'crm-404' in this workspace"]
    assert not Contact.objects.exists()


def test_non_numeric_money_is_refused(workspace: Workspace, account: Account) -> None:
    subscriptions = (
        "External ID,Account ID,Product,ARR,Start date,Term end date\ns-1,crm-1,Hub,abc,2025-01-01,2026-01-01\n"
    )
    result = run(workspace, "subscriptions", subscriptions)
    assert report(result) == ["subscriptions.csv:2:ARR: 'abc' is not an amount of money"]


def test_an_unparseable_date_is_refused(workspace: Workspace, account: Account) -> None:
    subscriptions = (
        "External ID,Account ID,Product,MRR,Start date,Term end date\ns-1,crm-1,Hub,100,next spring,2026-01-01\n"
    )
    result = run(workspace, "subscriptions", subscriptions)
    assert report(result) == [
        "subscriptions.csv:2:Start date: 'next spring' is not a date (write it as YYYY-MM-DD, e.g. 2024-03-15)"
    ]


def test_an_ambiguous_date_is_refused_unless_the_column_shows_its_order(workspace: Workspace, account: Account) -> None:
    header = "External ID,Account ID,Product,MRR,Start date,Term end date\n"
    ambiguous = run(workspace, "subscriptions", header + "s-1,crm-1,Hub,100,03/04/2025,2026-01-01\n")
    assert report(ambiguous) == [
        "subscriptions.csv:2:Start date: '03/04/2025' is ambiguous (4 March or 3 April?): write it as YYYY-MM-DD"
    ]
    day_first = run(
        workspace,
        "subscriptions",
        header + "s-1,crm-1,Hub,100,03/04/2025,2026-01-01\ns-2,crm-1,Hub,100,25/04/2025,2026-01-01\n",
    )
    assert day_first.run.status == ImportStatus.APPLIED, report(day_first)
    assert Subscription.objects.get(external_id="s-1").started_on == dt.date(2025, 4, 3)


def test_duplicate_ids_inside_the_file_are_refused_on_every_line(workspace: Workspace) -> None:
    result = run(workspace, "accounts", "External ID,Name\ncrm-7,Acme\ncrm-8,Globex\ncrm-7,Acme Corp\n")
    assert report(result) == [
        "accounts.csv:2:External ID: 'crm-7' appears more than once in the file (lines 2, 4)",
        "accounts.csv:4:External ID: 'crm-7' appears more than once in the file (lines 2, 4)",
    ]
    assert not Account.objects.exists()


@override_settings(IMPORT_MAX_BYTES=64)
def test_a_file_over_the_size_limit_is_refused(workspace: Workspace) -> None:
    result = run(workspace, "accounts", "External ID,Name\n" + "crm-1,Acme\n" * 10, filename="big.csv")
    assert report(result) == ["big.csv: the file is over the import size limit of 64 bytes (IMPORT_MAX_BYTES)"]
    assert result.run.status == ImportStatus.REFUSED


def test_a_file_without_the_key_column_is_refused(workspace: Workspace) -> None:
    result = run(workspace, "accounts", "Name\nAcme\n")
    assert report(result) == [
        "accounts.csv:1: no column for the account's external id: "
        "name one 'External ID', 'Record ID', 'Account ID', 'Company ID', 'ID'"
    ]


def test_annual_revenue_is_not_taken_for_subscription_revenue(workspace: Workspace, account: Account) -> None:
    result = run(
        workspace,
        "subscriptions",
        "External ID,Account ID,Product,Annual Revenue,Start date,Term end date\n"
        "s-1,crm-1,Hub,120000,2025-01-01,2026-01-01\n",
    )
    assert report(result) == [
        "subscriptions.csv:1:Annual Revenue: is the customer company's own revenue, not what it pays us: "
        "give MRR or ARR instead"
    ]
    assert not Subscription.objects.filter(external_id="s-1").exists()


def test_an_empty_file_is_refused(workspace: Workspace) -> None:
    assert report(run(workspace, "accounts", "")) == [
        "accounts.csv: the file is empty: it needs a header line and at least one row"
    ]


# All or nothing, partial, dry run -----------------------------------------------------------------


BAD_SECOND_ROW = "External ID,Name,Employees\ncrm-30,Acme,10\ncrm-31,Globex,lots\ncrm-32,Hooli,20\n"


def test_by_default_one_bad_row_refuses_the_whole_file(workspace: Workspace) -> None:
    result = run(workspace, "accounts", BAD_SECOND_ROW)
    assert result.run.status == ImportStatus.REFUSED
    assert counts(result) == (0, 0, 0, 1)
    assert report(result) == ["accounts.csv:3:Employees: 'lots' is not a whole number"]
    assert not Account.objects.exists()
    assert ImportRun.objects.get() == result.run


def test_allow_partial_writes_the_good_rows_and_reports_the_rest(workspace: Workspace) -> None:
    result = run(workspace, "accounts", BAD_SECOND_ROW, allow_partial=True)
    assert result.run.status == ImportStatus.PARTIAL
    assert counts(result) == (2, 0, 0, 1)
    assert sorted(Account.objects.values_list("external_id", flat=True)) == ["crm-30", "crm-32"]
    assert report(result) == ["accounts.csv:3:Employees: 'lots' is not a whole number"]


def test_a_row_the_service_refuses_rolls_back_the_good_rows_too(workspace: Workspace, vic: Member) -> None:
    result = run(workspace, "accounts", "External ID,Name,Owner email\ncrm-40,Acme,\ncrm-41,Globex,vic@acme.example\n")
    assert result.run.status == ImportStatus.REFUSED
    assert report(result) == ["accounts.csv:3:Owner email: a viewer cannot own accounts"]
    assert not Account.objects.exists()


def test_dry_run_writes_nothing_but_counts_what_would_be_written(workspace: Workspace, account: Account) -> None:
    entries = TimelineEntry.objects.count()
    result = run(workspace, "accounts", "External ID,Name,Industry\ncrm-1,Globex,Energy\ncrm-50,Acme,\n", dry_run=True)
    assert result.run.status == ImportStatus.DRY_RUN
    assert counts(result) == (1, 1, 0, 0)
    assert Account.objects.count() == 1
    account.refresh_from_db()
    assert account.industry == ""
    assert TimelineEntry.objects.count() == entries
    assert run_summary(result.run) == (
        "accounts.csv: dry run, nothing written; 2 rows: 1 created, 1 updated, 0 unchanged, 0 rejected"
    )


# Contacts ----------------------------------------------------------------------------------------


def test_a_salesforce_contact_export_is_matched_to_accounts_by_account_id(
    workspace: Workspace, account: Account
) -> None:
    salesforce = (
        "Contact ID,Account ID,First Name,Last Name,Email,Title,Role\n"
        "003A1,crm-1,Ann,Lee,Ann@Globex.example,VP Marketing,Executive sponsor\n"
    )
    result = run(workspace, "contacts", salesforce)
    assert result.run.status == ImportStatus.APPLIED, report(result)
    ann = Contact.objects.get(external_id="003A1")
    assert (ann.account, ann.email, ann.title, ann.role) == (
        account,
        "ann@globex.example",
        "VP Marketing",
        ContactRole.EXECUTIVE_SPONSOR,
    )


def test_a_hubspot_contact_export_is_matched_to_accounts_by_company_domain(
    workspace: Workspace, account: Account
) -> None:
    hubspot = "Record ID,First Name,Email,Company Domain Name\n501,Bob,bob@globex.example,www.globex.example\n"
    result = run(workspace, "contacts", hubspot)
    assert result.run.status == ImportStatus.APPLIED, report(result)
    assert Contact.objects.get(external_id="501").account == account


def test_a_contact_typed_in_by_hand_is_matched_by_email_and_gets_its_external_id(
    workspace: Workspace, account: Account
) -> None:
    Contact.objects.create(workspace=workspace, account=account, email="ann@globex.example", first_name="Ann")
    result = run(workspace, "contacts", "Contact ID,Account ID,Email,Title\n003A1,crm-1,ann@globex.example,CTO\n")
    assert counts(result) == (0, 1, 0, 0), report(result)
    ann = Contact.objects.get()
    assert (ann.external_id, ann.title) == ("003A1", "CTO")


# Subscriptions -----------------------------------------------------------------------------------


def test_annual_contract_value_becomes_mrr_divided_by_twelve(workspace: Workspace, account: Account) -> None:
    result = run(
        workspace,
        "subscriptions",
        "Contract ID,Account ID,Product,Annual Contract Value,Quantity,Contract Start Date,Contract End Date\n"
        'k-1,crm-1,Social Add-on,"$6,000.00",3,2025-01-01,2026-01-01\n',
    )
    assert result.run.status == ImportStatus.APPLIED, report(result)
    subscription = Subscription.objects.get(external_id="k-1")
    assert (subscription.mrr, subscription.seats, subscription.currency) == (Decimal("500"), 3, "USD")
    account.refresh_from_db()
    assert account.mrr == Decimal("1500")


def test_a_changed_mrr_on_reimport_records_a_movement_on_the_effective_date(
    workspace: Workspace, account: Account
) -> None:
    header = "External ID,Account ID,Product,MRR,Seats,Start date,Term end date,Effective date\n"
    run(workspace, "subscriptions", header + "s-1,crm-1,Hub,400,4,2025-01-01,2026-01-01,\n")
    result = run(workspace, "subscriptions", header + "s-1,crm-1,Hub,600,6,2025-01-01,2026-01-01,2025-06-01\n")
    assert counts(result) == (0, 1, 0, 0), report(result)
    movement = SubscriptionMovement.objects.filter(subscription__external_id="s-1").last()
    assert movement is not None
    assert (movement.kind, movement.effective_on, movement.mrr_after) == (
        MovementKind.EXPANSION,
        dt.date(2025, 6, 1),
        Decimal("600"),
    )


def test_a_changed_mrr_without_an_effective_date_is_dated_today(workspace: Workspace, account: Account) -> None:
    header = "External ID,Account ID,Product,MRR,Start date,Term end date\n"
    run(workspace, "subscriptions", header + "s-1,crm-1,Hub,400,2025-01-01,2026-01-01\n")
    run(workspace, "subscriptions", header + "s-1,crm-1,Hub,300,2025-01-01,2026-01-01\n")
    movement = SubscriptionMovement.objects.filter(subscription__external_id="s-1").last()
    assert movement is not None
    assert (movement.kind, movement.effective_on) == (MovementKind.CONTRACTION, dt.date.today())


def test_a_currency_without_a_rate_is_refused_naming_the_column(workspace: Workspace, account: Account) -> None:
    result = run(
        workspace,
        "subscriptions",
        "External ID,Account ID,Product,MRR,Currency,Start date,Term end date\n"
        "s-1,crm-1,Hub,100,eur,2025-01-01,2026-01-01\n",
    )
    assert report(result) == [
        "subscriptions.csv:2:Currency: no exchange rate for EUR on or before 2025-01-01: "
        "add a rate in the workspace settings"
    ]


def test_a_new_subscription_needs_its_dates(workspace: Workspace, account: Account) -> None:
    result = run(
        workspace, "subscriptions", "External ID,Account ID,Product,MRR,Start date\ns-1,crm-1,Hub,100,2025-01-01\n"
    )
    assert report(result) == ["subscriptions.csv:2:Term end date: is empty: a new subscription needs its term end date"]


# Values ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1200", "1200"),
        ("1,200", "1200"),
        ("1.200", "1200"),
        ("1,200.50", "1200.50"),
        ("1.200,50", "1200.50"),
        ("$1,200", "1200"),
        ("1 200,50 EUR", "1200.50"),
        ("€ 1.234,56", "1234.56"),
        ("0,5", "0.50"),
        ("12,345,678.9", "12345678.90"),
    ],
)
def test_money_is_read_with_thousands_separators_and_currency_symbols(text: str, amount: str) -> None:
    assert parse_money(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["abc", "", "1,20,000", "1,2,3", "USD", "12k"])
def test_what_is_not_money_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not an amount of money"):
        parse_money(text)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-03-15", dt.date(2024, 3, 15)),
        ("2024-03-15 10:22", dt.date(2024, 3, 15)),
        ("2024-03-15T10:22:00Z", dt.date(2024, 3, 15)),
        ("15.03.2024", dt.date(2024, 3, 15)),
        ("15-03-2024", dt.date(2024, 3, 15)),
        ("03/15/2024", dt.date(2024, 3, 15)),
        ("15/03/2024", dt.date(2024, 3, 15)),
        ("05/05/2024", dt.date(2024, 5, 5)),
        ("15 Mar 2024", dt.date(2024, 3, 15)),
        ("March 15, 2024", dt.date(2024, 3, 15)),
    ],
)
def test_dates_are_read_in_iso_and_the_common_crm_formats(text: str, day: dt.date) -> None:
    assert parse_date(text) == day


def test_a_two_digit_year_is_refused() -> None:
    with pytest.raises(ValueError, match="two-digit year"):
        parse_date("3/15/24")


# The command -------------------------------------------------------------------------------------


def test_the_command_imports_a_file_and_prints_a_summary(
    tmp_path: Path, workspace: Workspace, carol: Member, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS, encoding="utf-8")
    out = io.StringIO()
    call_command("import", "accounts", str(path), workspace="acme", stdout=out)
    assert out.getvalue().strip() == "accounts.csv: applied; 2 rows: 2 created, 0 updated, 0 unchanged, 0 rejected"
    assert Account.objects.count() == 2


def test_the_command_prints_one_line_per_problem_and_exits_non_zero(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(BAD_SECOND_ROW, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"accounts\.csv: refused, 1 problem; nothing was written"):
        call_command("import", "accounts", str(path), workspace="acme", stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == ["accounts.csv:3:Employees: 'lots' is not a whole number"]
    assert not Account.objects.exists()


def test_the_command_with_allow_partial_succeeds_and_reports_the_bad_rows(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(BAD_SECOND_ROW, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "accounts", str(path), workspace="acme", allow_partial=True, stdout=out, stderr=err)
    assert err.getvalue().splitlines() == ["accounts.csv:3:Employees: 'lots' is not a whole number"]
    assert "applied in part; 3 rows: 2 created" in out.getvalue()


def test_the_command_dry_run_writes_nothing(tmp_path: Path, workspace: Workspace, carol: Member) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS, encoding="utf-8")
    out = io.StringIO()
    call_command("import", "accounts", str(path), workspace="acme", dry_run=True, stdout=out)
    assert "dry run, nothing written; 2 rows: 2 created" in out.getvalue()
    assert not Account.objects.exists()
    assert ImportRun.objects.get().status == ImportStatus.DRY_RUN


def test_the_command_refuses_an_unknown_workspace(tmp_path: Path, db: None) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS, encoding="utf-8")
    with pytest.raises(CommandError, match="no workspace with slug 'nope'"):
        call_command("import", "accounts", str(path), workspace="nope")


def test_the_command_refuses_a_missing_file(tmp_path: Path, workspace: Workspace) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "accounts", str(tmp_path / "missing.csv"), workspace="acme")


def test_the_command_imports_events_through_the_history_import(
    tmp_path: Path, workspace: Workspace, account: Account
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,event,timestamp,account_id\nu1,Signed In,2026-01-05T09:00:00Z,crm-1\nu1,,2026-01-05T09:00:00Z,crm-1\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "events", str(path), workspace="acme", stdout=out, stderr=err)
    assert out.getvalue().splitlines() == [
        "events.csv: rows 2: accepted 1, duplicates 0, rejected 1",
        "folded 1 event into the daily usage of 1 account",
    ]
    assert err.getvalue().splitlines() == ["events.csv:3: event (the event name) is required for track"]


def test_line_numbers_count_physical_lines_across_quoted_line_breaks(workspace: Workspace) -> None:
    content = 'External ID,Name,Employees\ncrm-1,"Acme\nHoldings",10\ncrm-2,Globex,many\n'
    assert report(run(workspace, "accounts", content)) == ["accounts.csv:4:Employees: 'many' is not a whole number"]


def test_trailing_empty_fields_and_blank_lines_are_not_rows(workspace: Workspace) -> None:
    result = run(workspace, "accounts", "External ID,Name\r\ncrm-1,Acme,,\r\n\r\n,\r\ncrm-2,Globex\r\n")
    assert result.run.status == ImportStatus.APPLIED, report(result)
    assert (result.run.rows_total, result.run.rows_created) == (2, 2)


def test_progress_is_reported_as_rows_are_written(workspace: Workspace) -> None:
    seen: list[tuple[int, int]] = []
    csv_import(
        workspace=workspace,
        actor=None,
        kind="accounts",
        filename="accounts.csv",
        source=io.BytesIO(b"External ID,Name\ncrm-1,Acme\ncrm-2,Globex\n"),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 2), (2, 2)]


# Owners by name, and where long-standing customers start ----------------------------------------


def _named(workspace: Workspace, email: str, first: str, last: str, role: str = "csm") -> Member:
    return tenancy_services.member_add(
        workspace=workspace, email=email, first_name=first, last_name=last, role=role, password="x" * 20
    )


def test_crm_owner_names_match_members_by_full_name_ignoring_case_and_accents(workspace: Workspace) -> None:
    sasha = _named(workspace, "sasha@acme.example", "Sasha", "Petrova")
    jose = _named(workspace, "jose@acme.example", "José", "Núñez")
    salesforce = (
        "Account ID,Account Name,Account Owner\n"
        "sf-1,Wayne Enterprises,Sasha Petrova\n"
        "sf-2,Cyberdyne,  jose   NUNEZ \n"
        "sf-3,Tyrell,JOSE@acme.example\n"
    )
    result = run(workspace, "accounts", salesforce)
    assert result.run.status == ImportStatus.APPLIED, report(result)
    owners = dict(Account.objects.filter(external_id__startswith="sf-").values_list("external_id", "owner"))
    assert owners == {"sf-1": sasha.pk, "sf-2": jose.pk, "sf-3": jose.pk}


def test_unmatched_and_ambiguous_owner_names_are_reported_by_line(workspace: Workspace) -> None:
    _named(workspace, "sam.a@acme.example", "Sam", "Lee")
    _named(workspace, "sam.b@acme.example", "Sam", "Lee")
    hubspot = '"Record ID","Company name","Company owner"\n"1","Initrode","Pat Unknown"\n"2","Vandelay","sam lee"\n'
    result = run(workspace, "accounts", hubspot)
    assert result.run.status == ImportStatus.REFUSED
    assert report(result) == [
        "accounts.csv:2:Company owner: 'Pat Unknown' matches no active member by name or e-mail: invite them first",
        "accounts.csv:3:Company owner: 'sam lee' is the name of 2 members: give the e-mail "
        "(sam.a@acme.example or sam.b@acme.example)",
    ]
    assert not Account.objects.filter(name__in=["Initrode", "Vandelay"]).exists()


def test_long_standing_customers_start_in_adoption_and_the_timeline_says_which_rule(workspace: Workspace) -> None:
    today = workspace_today(workspace)
    old = (today - dt.timedelta(days=730)).isoformat()
    recent = (today - dt.timedelta(days=20)).isoformat()
    community_old = (today - dt.timedelta(days=75)).isoformat()
    hubspot = (
        '"Record ID","Company name","Tier","Became a Customer Date","Lifecycle Stage"\n'
        f'"h-1","Old Co","enterprise","{old}","customer"\n'
        f'"h-2","New Co","enterprise","{recent}","customer"\n'
        f'"h-3","Small Co","community","{community_old}","evangelist"\n'
        '"h-4","Unknown Co","enterprise","","customer"\n'
    )
    result = run(workspace, "accounts", hubspot)
    assert result.run.status == ImportStatus.APPLIED, report(result)
    imported = Account.objects.filter(external_id__startswith="h-")
    stages = {a.external_id: (a.stage, a.stage_entered_on) for a in imported}
    assert stages["h-1"] == ("adoption", today - dt.timedelta(days=730 - 90))
    assert stages["h-2"] == ("onboarding", today - dt.timedelta(days=20))
    assert stages["h-3"] == ("adoption", today - dt.timedelta(days=75 - 60))
    assert stages["h-4"][0] == "onboarding"
    created = TimelineEntry.objects.get(account__external_id="h-1", kind="account_created")
    rule = f"a customer since {old} (730 days, past the 90-day onboarding window)"
    assert created.summary.endswith(f"starts in adoption: {rule}") and created.data["stage_rule"] == rule
    # A stage in the file is kept as given.
    result = run(workspace, "accounts", f"External ID,Name,Stage,Customer since\nh-9,Given,onboarding,{old}\n")
    assert Account.objects.get(external_id="h-9").stage == "onboarding"
