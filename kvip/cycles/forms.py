"""Forms of the cycles module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from kvip.core.forms import KvipForm


class CycleForm(KvipForm):
    edition_id = SelectField(_l("Edition of the standards"), coerce=int)
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    self_assessment_opens = DateField(_l("Self-assessment opens"), validators=[DataRequired()])
    self_assessment_closes = DateField(_l("Self-assessment deadline"), validators=[DataRequired()])
    visit_window_start = DateField(_l("Visits from"), validators=[Optional()])
    visit_window_end = DateField(_l("Visits until"), validators=[Optional()])
    version = HiddenField()  # the version the person saw (kvip.core.versioning)


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EnrolForm(KvipForm):
    unit_ids = CheckboxList(_l("Units to enrol"), coerce=int)
    carry_over = BooleanField(_l("Start from last cycle's ratings"), default=True)


class ConfirmCloseForm(KvipForm):
    confirm = BooleanField(
        _l("I understand that units can no longer change their self-assessment."),
        validators=[DataRequired()],
    )


class ReopenForm(KvipForm):
    reason = TextAreaField(
        _l("Reason (shown to the unit)"), validators=[DataRequired(), Length(max=2000)]
    )


class UploadForm(KvipForm):
    file = FileField(_l("Filled-in spreadsheet (.xlsx)"), validators=[FileRequired()])


class ApplyForm(KvipForm):
    changes = HiddenField()


class StartForm(KvipForm):
    """The unit lead's choice before the self-assessment is started (two submit buttons)."""

    start = SelectField(
        _l("How to start"),
        choices=[("last", _l("Start from last year's answers")), ("blank", _l("Start blank"))],
        validators=[DataRequired()],
    )


class ConfirmRatingForm(KvipForm):
    """Confirm one carried-over rating: the version of the rating the person saw."""

    version = IntegerField(validators=[InputRequired()])
