"""The unit's own questionnaire and record-audit aggregates as CSV or Excel (issue 15 §5).

Aggregates only, as on the questionnaires page: suppressed instruments carry their count and
no figures; no free text (it never leaves the pages of the unit lead and the visit team), no
respondent's answers, no record's answers.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, abort
from flask_babel import gettext as _
from flask_login import login_required
from openpyxl import Workbook

from kvip.core import downloads, excel
from kvip.surveys import record_audit
from kvip.surveys.results import AGREE_WORDS, lang, results_for
from kvip.surveys.views import bp
from kvip.surveys.views.common import assessment_or_404


def aggregate_rows(assessment: Any) -> list[list[Any]]:
    """Header and rows: one per question (or per suppressed instrument), then per criterion."""
    header = [
        _("Instrument"),
        _("Question"),
        _("Text"),
        _("Respondents"),
        _("Answering"),
        _("% positive"),
        _("Strongly agree"),
        _("Agree"),
        _("Disagree"),
        _("Strongly disagree"),
        _("Won’t say"),
    ]
    rows: list[list[Any]] = [header]
    for r in results_for(assessment):
        if r.suppressed:
            rows.append([r.title, "", _("too few answers yet"), r.respondents] + [None] * 7)
            continue
        for q in r.questions:
            rows.append(
                [r.title, q.code, q.text, r.respondents, q.n, q.positive_pct]
                + [q.distribution[w] for w in AGREE_WORDS]
                + [q.wont_say]
            )
    for a in record_audit.results_for(assessment, lang()):
        for c in a.criteria:
            rows.append(
                [record_audit.source_label(a.source), c.code, c.text, a.records, c.applicable]
                + [round(100 * c.yes / c.applicable, 1) if c.applicable else None]
                + [None] * 5
            )
    return rows


@bp.get("/assessments/<int:assessment_id>/results.<fmt>")
@login_required
def export_results(assessment_id: int, fmt: str) -> Any:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    assessment = assessment_or_404(assessment_id, "surveys.results")
    rows = aggregate_rows(assessment)
    if fmt == "csv":
        separator, decimal = excel.csv_dialect(lang())
        out = io.StringIO()
        writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
        for row in rows:
            writer.writerow(
                [
                    str(v).replace(".", decimal) if isinstance(v, float) else excel.csv_cell(v)
                    for v in row
                ]
            )
        body = ("\ufeff" + out.getvalue()).encode("utf-8")
        mimetype = "text/csv; charset=utf-8"
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Questionnaires")[:31])
        for row in rows:
            sheet.append(excel.xlsx_row(sheet, row))
        buffer = io.BytesIO()
        book.save(buffer)
        body = buffer.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": downloads.content_disposition(
                f"questionnaires-{downloads.slug(assessment.unit.name, 'unit')}"
                f"-{assessment.cycle.year}.{fmt}"
            )
        },
    )
