"""Exports: the action plan as .xlsx (openpyxl) and PDF (WeasyPrint), the GAP analysis as PDF."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kvip.actions import gap as gap_module
from kvip.actions import labels, queries
from kvip.actions.models import Action
from kvip.core import excel
from kvip.core.pdf import render_pdf
from kvip.cycles.models import Assessment
from kvip.visits.labels import verification_outcomes


def plan_xlsx(assessment: Assessment, actions: list[Action], on: date) -> bytes:
    """One sheet: a title block, then one row per action with every field."""
    status = labels.status_labels()
    risk = labels.risk_labels()
    pdsa = labels.pdsa_labels()
    source = labels.source_labels()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Action plan")[:31]
    due = queries.plan_due(assessment.id)
    # Every cell of user text goes through excel.xlsx_row: text, never a formula.
    ws.append(excel.xlsx_row(ws, [_("Action plan"), assessment.unit.name, assessment.cycle.name]))
    ws.append([_("Plan due"), due.isoformat() if due else "–", _("Exported"), on.isoformat()])
    ws.append([])
    header = [
        _("Title"),
        _("Status"),
        _("Overdue"),
        _("Risk"),
        _("Deadline"),
        _("Responsible"),
        _("Standards"),
        _("Duties"),
        _("Stage of the improvement cycle (PDSA)"),
        _("Description"),
        _("How will we measure success?"),
        _("Source"),
        _("Reason for dropping"),
        _("Verification"),
        _("Comment from the team"),
    ]
    ws.append(excel.xlsx_row(ws, header))
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="0B5394")
    ws["A1"].font = Font(bold=True, size=14)
    verification = verification_outcomes()
    for action in actions:
        ws.append(
            excel.xlsx_row(
                ws,
                [
                    action.title,
                    status.get(action.status, action.status),
                    _("Yes") if queries.is_overdue(action, on) else "",
                    risk.get(action.risk, action.risk),
                    action.deadline,
                    action.responsible,
                    ", ".join(s.code for s in action.standards),
                    ", ".join(action.duties),
                    pdsa.get(action.pdsa_stage, action.pdsa_stage),
                    action.description,
                    action.success_measure,
                    source.get(action.source_kind, action.source_kind),
                    action.dropped_reason,
                    verification.get(action.verification_outcome or "", ""),
                    action.verification_comment,
                ],
            )
        )
        ws.cell(ws.max_row, 5).number_format = "yyyy-mm-dd"
    widths = [40, 14, 10, 10, 12, 22, 14, 12, 14, 50, 40, 24, 30, 14, 40]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    for row in ws.iter_rows(min_row=head_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = ws.cell(head_row + 1, 1)
    ws.auto_filter.ref = f"A{head_row}:{get_column_letter(len(header))}{ws.max_row}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plan_pdf(assessment: Assessment, actions: list[Action], groups: Any, on: date) -> bytes:
    html = render_template(
        "actions/plan_pdf.html",
        assessment=assessment,
        actions=actions,
        groups=groups,
        on=on,
        plan_due=queries.plan_due(assessment.id),
        is_overdue=lambda a: queries.is_overdue(a, on),
        statuses=labels.status_labels(),
        risks=labels.risk_labels(),
        pdsa=labels.pdsa_labels(),
    )
    return render_pdf(html)


def gap_pdf(gap: Any, on: date) -> bytes:
    html = render_template(
        "actions/gap_pdf.html",
        gap=gap,
        on=on,
        statuses=gap_module.status_labels(),
        risks=labels.risk_labels(),
        action_statuses=labels.status_labels(),
        legend=gap_module.legend(),
    )
    return render_pdf(html)
