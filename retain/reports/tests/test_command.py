"""`retain qbr build` and `build-all`: the file's format from its extension, clear errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from retain.accounts.models import Account
from retain.reports.models import BusinessReview

pytestmark = pytest.mark.django_db


def test_build_writes_the_pdf_or_the_html_the_extension_names(account: Account, tmp_path: Path) -> None:
    out = io.StringIO()
    slug = account.workspace.slug
    call_command("qbr", "build", "--workspace", slug, "--account", str(account.pk), "--period", "2026Q4",
                 "--out", str(tmp_path / "pack.pdf"), stdout=out)  # fmt: skip
    text = PdfReader(tmp_path / "pack.pdf").pages[0].extract_text()
    assert "Globex" in text and "2026Q4" in text
    call_command("qbr", "build", "--workspace", slug, "--account", str(account.pk), "--period", "2026Q4",
                 "--audience", "internal", "--out", str(tmp_path / "pack.html"), stdout=out)  # fmt: skip
    assert "Internal only" in (tmp_path / "pack.html").read_text()
    assert BusinessReview.objects.filter(account=account, period="2026Q4").count() == 1


def test_build_names_a_bad_period_extension_or_account(account: Account, tmp_path: Path) -> None:
    slug = account.workspace.slug
    with pytest.raises(CommandError, match="like 2026Q4"):
        call_command("qbr", "build", "--workspace", slug, "--account", str(account.pk), "--period", "Q4",
                     "--out", str(tmp_path / "x.pdf"))  # fmt: skip
    with pytest.raises(CommandError, match=r"\.pdf or \.html"):
        call_command(
            "qbr", "build", "--workspace", slug, "--account", str(account.pk), "--out", str(tmp_path / "x.doc")
        )
    with pytest.raises(CommandError, match="no account 0"):
        call_command("qbr", "build", "--workspace", slug, "--account", "0", "--out", str(tmp_path / "x.pdf"))


def test_build_all_reports_seconds_per_pack(account: Account, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("qbr", "build-all", "--workspace", account.workspace.slug, "--tier", "enterprise",
                 "--period", "2026Q4", "--out", str(tmp_path), stdout=out)  # fmt: skip
    assert (tmp_path / f"qbr-2026Q4-{account.pk}.pdf").exists()
    assert "1 packs of enterprise accounts" in out.getvalue() and "s per pack" in out.getvalue()


def test_report_portfolio_writes_the_leadership_pack_and_names_bad_input(account: Account, tmp_path: Path) -> None:
    slug = account.workspace.slug
    out = io.StringIO()
    call_command("report", "portfolio", "--workspace", slug, "--period", "2026Q4",
                 "--out", str(tmp_path / "leaders.html"), stdout=out)  # fmt: skip
    html = (tmp_path / "leaders.html").read_text()
    assert "Leadership pack — 2026Q4" in html and 'id="fig-grr"' in html and "leadership pack 2026Q4" in out.getvalue()
    with pytest.raises(CommandError, match="--period: a period is a year and a quarter"):
        call_command("report", "portfolio", "--workspace", slug, "--period", "Q4", "--out", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match=r"--out: the file must end in \.pdf or \.html"):
        call_command("report", "portfolio", "--workspace", slug, "--out", str(tmp_path / "x.docx"))
    with pytest.raises(CommandError, match="no workspace with slug 'nope'"):
        call_command("report", "portfolio", "--workspace", "nope", "--out", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()
