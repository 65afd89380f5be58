"""Forms of the actions module. The rules live in the services; the forms parse and show errors."""

from __future__ import annotations

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

from kvip.actions.services import RESPONSIBLE_MAX, TITLE_MAX
from kvip.core.forms import KvipForm


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
