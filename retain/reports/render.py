"""One template, three formats: the pack as a page in the app, as a stand-alone document (the
customer's link) and as PDF (WeasyPrint). Charts are the same Vega-Lite spec everywhere: vega-embed
draws it in the browser, vl-convert renders it to SVG on the server for the PDF.

Every format is rendered from `context(review, audience)`: for the customer it holds
`pack.customer_pack(...)`, so the internal section is simply not there to be shown.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from django.template.loader import render_to_string

from retain.reports import pack
from retain.reports.choices import Audience
from retain.reports.models import BusinessReview

PANGO_MISSING = (
    "PDF needs Pango and a font (WeasyPrint): apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"
)
PDF_CHART_WIDTH = 620


class PdfUnavailable(RuntimeError):
    """The PDF cannot be made on this machine (a system library is missing); the message says how to fix it."""


def context(review: BusinessReview, audience: str = Audience.CUSTOMER) -> dict[str, Any]:
    """What every format renders: plain values, never the model."""
    if audience not in Audience.values:
        raise ValueError(f"audience must be one of {', '.join(Audience.values)}")
    shown = review.pack if audience == Audience.INTERNAL else pack.customer_pack(review.pack)
    narrative = review.narrative or {}
    return {
        "audience": audience,
        "internal": audience == Audience.INTERNAL,
        "pack": shown,
        "review": {
            "period": review.period,
            "status": review.get_status_display(),
            "meeting_on": review.meeting_on.isoformat() if review.meeting_on else "",
            "agenda": review.agenda,
            "attendees": [c.full_name for c in review.attendee_contacts.all()]
            + [m.display_name for m in review.attendee_members.all()],
            "decisions": review.decisions,
            "feedback": review.feedback,
        },
        "narrative": [
            (title, narrative.get(key, ""))
            for key, title in (
                ("summary", "Summary"),
                ("wins", "Wins"),
                ("challenges", "Challenges"),
                ("recommendations", "Recommendations"),
            )
        ],
        "proposals": review.proposals,
        "chart_spec": shown["sections"]["adoption"]["chart"] if shown else None,
    }


def html_document(
    review: BusinessReview, audience: str = Audience.CUSTOMER, *, chart_svg: str = "", browser: bool = False
) -> str:
    """The pack as a stand-alone HTML document: for a browser (the customer's link: vega-embed draws
    the chart) or for print (the PDF's source: the chart is the server's SVG)."""
    values = {**context(review, audience), "chart_svg": chart_svg, "pdf": not browser, "browser": browser}
    return render_to_string("reports/document.html", values)


def chart_svg(spec: dict[str, Any]) -> str:
    """The Vega-Lite spec as SVG, as a data: URI for an <img> (fixed width: a page has no container)."""
    import vl_convert

    spec = copy.deepcopy(spec)
    spec["width"] = PDF_CHART_WIDTH
    svg = vl_convert.vegalite_to_svg(spec)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def pdf(review: BusinessReview, audience: str = Audience.CUSTOMER) -> bytes:
    """The pack as PDF: PdfUnavailable with the fix when Pango is missing."""
    try:
        import weasyprint
    except OSError as exc:  # WeasyPrint loads Pango with ctypes when it is imported
        raise PdfUnavailable(PANGO_MISSING) from exc
    spec = review.pack.get("sections", {}).get("adoption", {}).get("chart") if review.pack else None
    document = html_document(review, audience, chart_svg=chart_svg(spec) if spec else "")
    return bytes(weasyprint.HTML(string=document).write_pdf())


# The leadership pack -----------------------------------------------------------------------------


def green_trend_spec(trend: list[dict[str, Any]]) -> dict[str, Any]:
    """Vega-Lite spec of the weekly share of accounts green (the pack's trend rows)."""
    values = [
        {"week": row["week"], "green": round(100 * row["green"] / row["scored"], 1)} for row in trend if row["scored"]
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Share of scored accounts in the green band, week by week",
        "width": "container",
        "height": 150,
        "data": {"values": values},
        "mark": {"type": "line", "point": True, "color": "#16a34a"},
        "encoding": {
            "x": {"field": "week", "type": "ordinal", "title": "Week of", "axis": {"labelAngle": -45}},
            "y": {"field": "green", "type": "quantitative", "title": "% green", "scale": {"domain": [0, 100]}},
            "tooltip": [{"field": "week", "type": "ordinal"}, {"field": "green", "type": "quantitative"}],
        },
    }


def leadership_context(data: dict[str, Any]) -> dict[str, Any]:
    return {"pack": data, "chart_spec": green_trend_spec(data["health"]["trend"])}


def leadership_document(data: dict[str, Any], *, chart_svg: str = "", browser: bool = False) -> str:
    """The leadership pack as a stand-alone HTML document (for a browser, or the PDF's source)."""
    values = {**leadership_context(data), "chart_svg": chart_svg, "pdf": not browser, "browser": browser}
    return render_to_string("reports/leadership_document.html", values)


def leadership_pdf(data: dict[str, Any]) -> bytes:
    """The leadership pack as PDF: PdfUnavailable with the fix when Pango is missing."""
    try:
        import weasyprint
    except OSError as exc:  # WeasyPrint loads Pango with ctypes when it is imported
        raise PdfUnavailable(PANGO_MISSING) from exc
    spec = green_trend_spec(data["health"]["trend"])
    document = leadership_document(data, chart_svg=chart_svg(spec) if spec["data"]["values"] else "")
    return bytes(weasyprint.HTML(string=document).write_pdf())
