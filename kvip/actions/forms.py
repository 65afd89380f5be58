"""Forms of the actions module. The rules live in the services; the forms parse and show errors."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from kvip.actions.maturity import ASPECTS
from kvip.actions.services import RESPONSIBLE_MAX, TITLE_MAX
from kvip.core.forms import IdField, KvipForm


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(KvipForm):
    title = StringField(_l("Title"), validators=[Length(max=TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    responsible = StringField(
        _l("Responsible"), validators=[Optional(), Length(max=RESPONSIBLE_MAX)]
    )
    # A plain date input: the service parses it and words the error.
    deadline = StringField(_l("Deadline"), render_kw={"type": "date"})
    risk = RadioField(_l("Risk"), default="medium", validate_choice=False)
    pdsa_stage = SelectField(
        _l("Stage of the improvement cycle (PDSA)"), default="plan", validate_choice=False
    )
    success_measure = TextAreaField(
        _l("How will we measure success?"), validators=[Optional(), Length(max=5000)]
    )
    standard_codes = StringField(_l("Standards"), validators=[Optional(), Length(max=500)])
    duties = MultiCheckboxField(_l("Duties of the regulation"), validate_choice=False)
    version = HiddenField()


class DropForm(KvipForm):
    reason = TextAreaField(_l("Why is the action dropped?"), validators=[Length(max=2000)])


class VerifyForm(KvipForm):
    outcome = RadioField(_l("Outcome"), validate_choice=False)
    comment = TextAreaField(_l("Comment from the team"), validators=[Length(max=5000)])
    # The visit the buttons were pressed at, and the page to go back to.
    visit_id = IdField()
    next = StringField(validators=[Optional(), Length(max=2000)])


class MoveForm(KvipForm):
    """Move an action to another state; dropping asks for a reason (the plan page names its
    reason box ``drop-reason``)."""

    to = StringField(validators=[Optional(), Length(max=40)])
    reason = TextAreaField(validators=[Optional()])
    drop_reason = TextAreaField(name="drop-reason", validators=[Optional()])
    next = StringField(validators=[Optional(), Length(max=2000)])


class GapOverrideForm(KvipForm):
    """The unit's own status and risk for one duty of the GAP analysis, with a reason."""

    clear = StringField(validators=[Optional()])
    status = StringField(validators=[Optional(), Length(max=40)])
    risk = StringField(validators=[Optional(), Length(max=40)])
    reason = TextAreaField(validators=[Optional()])
    version = HiddenField()


class MaturityForm(KvipForm):
    """One level (1–5), comment and version per aspect of the maturity model; the inputs are
    named ``level-<aspect>``, ``comment-<aspect>``, ``version-<aspect>``."""

    def per_aspect(self, kind: str) -> dict[str, Any]:
        """{aspect: posted value} for ``kind`` (level, comment or version)."""
        return {a: self[f"{kind}_{a}"].data for a in ASPECTS}


for _aspect in ASPECTS:
    setattr(MaturityForm, f"level_{_aspect}", StringField(name=f"level-{_aspect}"))
    setattr(MaturityForm, f"comment_{_aspect}", TextAreaField(name=f"comment-{_aspect}"))
    setattr(MaturityForm, f"version_{_aspect}", HiddenField(name=f"version-{_aspect}"))
