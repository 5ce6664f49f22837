"""`retain qbr …`: business review packs from the command line.

    retain qbr build --workspace SLUG --account ID [--period 2026Q4] [--audience customer|internal]
                     --out FILE.pdf|FILE.html
    retain qbr build-all --workspace SLUG [--tier strategic] [--period 2026Q4] [--audience …] --out DIR

The format comes from the file's extension. An account's review for the quarter is used as it was
prepared (its snapshot); an account without one gets a planned review with its draft pack built,
the same as the QBR playbook's step would make. `build-all` shows a progress bar and reports the
seconds each pack took.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from retain.accounts.choices import Stage, Tier
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.reports import periods, render, services
from retain.reports.choices import Audience
from retain.reports.models import BusinessReview
from retain.tenancy.models import Workspace

FORMATS = (".pdf", ".html")


def _workspace(slug: str) -> Workspace:
    found = Workspace.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no workspace with slug {slug!r}")
    return found


def _quarter(workspace: Workspace, text: str | None) -> periods.Quarter:
    if not text:
        return periods.quarter_of(workspace_today(workspace))
    try:
        return periods.parse(text)
    except ValueError as exc:
        raise CommandError(f"--period: {exc}") from None


def review_for(account: Account, quarter: periods.Quarter) -> BusinessReview:
    """The account's review of the quarter with its pack: as prepared, or a new draft."""
    review = BusinessReview.objects.filter(account=account, period=quarter.name).first()
    if review is None:
        review = services.review_create(account=account, actor=None, period=quarter.name)
    if not review.pack:
        review = services.review_draft(review=review, actor=None)
    return review


def write(review: BusinessReview, audience: str, out: Path) -> None:
    if out.suffix == ".pdf":
        try:
            out.write_bytes(render.pdf(review, audience))
        except render.PdfUnavailable as exc:
            raise CommandError(str(exc)) from None
    else:
        out.write_text(render.html_document(review, audience, browser=True), encoding="utf-8")


class Command(BaseCommand):
    help = "Business review packs as PDF or HTML, for one account or every account of a tier."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        build = sub.add_parser("build", help="one account's pack")
        build.add_argument("--workspace", required=True, metavar="SLUG")
        build.add_argument("--account", required=True, type=int, metavar="ID")
        build.add_argument("--out", required=True, type=Path, metavar="FILE.pdf|FILE.html")
        every = sub.add_parser("build-all", help="the pack of every customer of a tier, one file each")
        every.add_argument("--workspace", required=True, metavar="SLUG")
        every.add_argument("--tier", choices=Tier.values, default=Tier.STRATEGIC)
        every.add_argument("--out", required=True, type=Path, metavar="DIR")
        every.add_argument("--format", choices=("pdf", "html"), default="pdf")
        for parser_ in (build, every):
            parser_.add_argument("--period", metavar="2026Q4", help="the quarter (default: the current one)")
            parser_.add_argument("--audience", choices=Audience.values, default=Audience.CUSTOMER)

    def handle(self, *args: object, subcommand: str, **options: Any) -> None:
        if subcommand == "build":
            self.build(**options)
        else:
            self.build_all(**options)

    def build(self, *, workspace: str, account: int, out: Path, period: str | None, audience: str, **_: Any) -> None:
        found = _workspace(workspace)
        if out.suffix not in FORMATS:
            raise CommandError(f"--out: the file must end in {' or '.join(FORMATS)} (got {out.name})")
        target = Account.objects.filter(workspace=found, pk=account).first()
        if target is None:
            raise CommandError(f"--account: no account {account} in {found.slug}")
        began = time.perf_counter()
        try:
            review = review_for(target, _quarter(found, period))
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        write(review, audience, out)
        self.stdout.write(f"{out}: {target.name} {review.period} ({audience}, {time.perf_counter() - began:.2f}s)")

    def build_all(
        self, *, workspace: str, tier: str, out: Path, format: str, period: str | None, audience: str, **_: Any
    ) -> None:
        found = _workspace(workspace)
        quarter = _quarter(found, period)
        out.mkdir(parents=True, exist_ok=True)
        accounts = list(Account.objects.filter(workspace=found, tier=tier).exclude(stage=Stage.CHURNED).order_by("pk"))
        seconds: list[float] = []
        quiet = not sys.stderr.isatty()
        with tqdm(total=len(accounts), unit=" packs", disable=quiet, file=sys.stderr) as bar:
            for target in accounts:
                began = time.perf_counter()
                review = review_for(target, quarter)
                write(review, audience, out / f"qbr-{quarter.name}-{target.pk}.{format}")
                seconds.append(time.perf_counter() - began)
                bar.update(1)
        mean = sum(seconds) / len(seconds) if seconds else 0.0
        slowest = max(seconds, default=0.0)
        self.stdout.write(
            f"{len(seconds)} packs of {tier} accounts for {quarter.name} in {out}: "
            f"{mean:.2f}s per pack on average, {slowest:.2f}s the slowest"
        )
