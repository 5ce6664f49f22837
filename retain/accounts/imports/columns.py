"""Which header means which field, per kind of import: ours, and those of HubSpot and Salesforce exports.

Aliases are listed in priority order; when a file has two columns for one field (HubSpot's
"Company Domain Name" and "Website URL"), the earlier alias wins and the other column is ignored.
Headers are compared case- and punctuation-insensitively ("E-mail" = "email" = "EMAIL").

Money on subscriptions: an "MRR" column is monthly; "ARR", "Annual Recurring Revenue",
"Annual Contract Value" and "ACV" are yearly and divided by 12. "Annual Revenue" is never our
revenue: in HubSpot and Salesforce it is the customer company's own turnover, a firmographic that
lands on the account's annual_revenue and never changes MRR or ARR.
"""

from __future__ import annotations

from dataclasses import dataclass

from retain.accounts.imports.problems import FileRefused, Problem
from retain.accounts.imports.values import normalise_label

TEXT, EMAIL, MONEY, WHOLE, DATE, DOMAIN, CHOICE = "text", "email", "money", "whole", "date", "domain", "choice"
OWNER = "owner"  # a member, by e-mail or by full name


@dataclass(frozen=True)
class Column:
    field: str
    kind: str
    aliases: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.aliases[0]


ACCOUNT_COLUMNS = (
    Column("external_id", TEXT, ("External ID", "Record ID", "Account ID", "Company ID", "ID")),
    Column("name", TEXT, ("Name", "Company name", "Account Name", "Company")),
    Column("domain", DOMAIN, ("Domain", "Company Domain Name", "Website", "Website URL")),
    # HubSpot's "Company owner" and Salesforce's "Account Owner" hold the owner's name, not an e-mail.
    Column(
        "owner",
        OWNER,
        (
            "Owner email",
            "Owner",
            "Company owner email",
            "Account Owner Email",
            "Account Owner E-mail",
            "CSM email",
            "Company owner",
            "Account Owner",
            "HubSpot Owner",
            "Account Owner Name",
            "CSM",
        ),
    ),
    Column("tier", CHOICE, ("Tier", "CS tier", "Customer tier")),
    Column("edition", CHOICE, ("Edition",)),
    Column("stage", CHOICE, ("Stage", "CS stage", "Customer stage")),
    Column("industry", TEXT, ("Industry",)),
    Column("employees", WHOLE, ("Employees", "Number of Employees", "Employee count")),
    Column("annual_revenue", MONEY, ("Annual revenue",)),
    Column("customer_since", DATE, ("Customer since", "Became a Customer Date", "Customer since date")),
)

CONTACT_COLUMNS = (
    Column("external_id", TEXT, ("External ID", "Record ID", "Contact ID", "ID")),
    Column(
        "account_external_id",
        TEXT,
        ("Account external ID", "Account ID", "Company ID", "Associated Company ID", "Associated Company IDs"),
    ),
    Column("account_domain", DOMAIN, ("Account domain", "Company Domain Name", "Company domain", "Website")),
    Column("account_name", TEXT, ("Account name", "Company name", "Associated Company", "Company")),
    Column("email", EMAIL, ("Email", "Email address", "E-mail address")),
    Column("first_name", TEXT, ("First name", "Given name")),
    Column("last_name", TEXT, ("Last name", "Surname")),
    Column("title", TEXT, ("Title", "Job title")),
    Column("phone", TEXT, ("Phone", "Phone number", "Business phone")),
    Column("role", CHOICE, ("Role", "Contact role")),
    Column("status", CHOICE, ("Status", "Contact status")),
)

SUBSCRIPTION_COLUMNS = (
    Column(
        "external_id", TEXT, ("External ID", "Subscription ID", "Contract ID", "Contract Number", "Record ID", "ID")
    ),
    Column("account_external_id", TEXT, ("Account external ID", "Account ID", "Company ID", "Associated Company ID")),
    Column("product", TEXT, ("Product", "Product name", "Plan")),
    Column("currency", TEXT, ("Currency", "Currency code", "Currency ISO Code", "Contract currency")),
    Column("seats", WHOLE, ("Seats", "Quantity", "Licenses", "Licences")),
    Column("mrr", MONEY, ("MRR", "Monthly recurring revenue", "Monthly amount")),
    Column("arr", MONEY, ("ARR", "Annual recurring revenue", "Annual Contract Value", "ACV")),
    Column("started_on", DATE, ("Start date", "Started on", "Contract Start Date", "Subscription start date")),
    Column("term_end", DATE, ("Term end date", "Term end", "End date", "Contract End Date", "Renewal date")),
    Column("effective_on", DATE, ("Effective date", "Effective on", "Change date")),
)

# Headers that look like they belong but must not be read as something else, with why.
MISLEADING = {
    "subscriptions": {
        "annual revenue": "is the customer company's own revenue, not what it pays us: give MRR or ARR instead",
    },
}


@dataclass
class Columns:
    """A file's header resolved: field → (position, header as written), plus what was ignored."""

    found: dict[str, tuple[int, str]]
    ignored: list[str]

    def __contains__(self, field: str) -> bool:
        return field in self.found

    def header(self, field: str, default: str = "") -> str:
        return self.found[field][1] if field in self.found else default


def resolve(kind: str, table_columns: tuple[Column, ...], headers: list[str]) -> Columns:
    positions: dict[str, list[int]] = {}
    for position, header in enumerate(headers):
        if header:
            positions.setdefault(normalise_label(header), []).append(position)
    problems: list[Problem] = []
    found: dict[str, tuple[int, str]] = {}
    used: set[int] = set()
    for column in table_columns:
        for alias in column.aliases:
            matches = positions.get(normalise_label(alias), [])
            if len(matches) > 1:
                names = " and ".join(f"column {m + 1}" for m in matches)
                problems.append(Problem(1, headers[matches[0]], f"appears twice ({names}): keep one"))
            if matches:
                found[column.field] = (matches[0], headers[matches[0]])
                used.update(matches)
                break
    if problems:
        raise FileRefused(problems)
    ignored = [header for position, header in enumerate(headers) if header and position not in used]
    return Columns(found=found, ignored=ignored)


def missing(table_columns: tuple[Column, ...], fields: tuple[str, ...], what: str) -> Problem:
    """The header lacks every column that could give `fields`."""
    aliases = [alias for column in table_columns if column.field in fields for alias in column.aliases]
    return Problem(1, "", f"no column for {what}: name one {', '.join(repr(a) for a in aliases)}")


def misleading(kind: str, headers: list[str]) -> list[Problem]:
    notes = MISLEADING.get(kind, {})
    return [
        Problem(1, header, notes[normalise_label(header)]) for header in headers if normalise_label(header) in notes
    ]
