"""Forms of the network module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from kvip.core.forms import KvipForm
from kvip.network.models import COMMENT_PERIOD_DAYS, MIN_GROUP_SIZE, VISIT_DATE_TOLERANCE_DAYS


class InstitutionForm(KvipForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=60)])
    version = HiddenField()  # the version the person saw (kvip.core.versioning)


class UnitForm(KvipForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    institution_id = SelectField(_l("Institution"), coerce=int, validators=[DataRequired()])
    kind = SelectField(_l("Kind of unit"))
    beds = IntegerField(_l("Beds"), default=0, validators=[Optional(), NumberRange(min=0, max=500)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=60)])
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()


class NetworkForm(KvipForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    benchmark_visibility = SelectField(_l("Other units in benchmarks are shown"))
    min_group_size = IntegerField(
        _l("Smallest group shown (k)"),
        default=MIN_GROUP_SIZE,
        validators=[
            DataRequired(),
            NumberRange(
                min=MIN_GROUP_SIZE,
                max=50,
                message=_l(
                    "Choose a number from %(min)d to 50: groups of fewer than %(min)d units could reveal a unit.",
                    min=MIN_GROUP_SIZE,
                ),
            ),
        ],
    )
    visit_date_tolerance_days = IntegerField(
        _l("Days a visit may start before or after its date"),
        default=VISIT_DATE_TOLERANCE_DAYS,
        validators=[
            Optional(),
            NumberRange(min=0, max=30, message=_l("Choose a number from 0 to 30.")),
        ],
    )
    comment_period_days = IntegerField(
        _l("Days the unit may comment on a shared report"),
        default=COMMENT_PERIOD_DAYS,
        validators=[
            Optional(),
            NumberRange(min=0, max=90, message=_l("Choose a number from 0 to 90.")),
        ],
    )
    carry_over_default = BooleanField(_l("New self-assessments start from last year's answers"))
    version = HiddenField()


class OverrideForm(KvipForm):
    """A coordinator's exception to a date rule (kvip.network.overrides): the reason, which
    the service requires and writes to the audit log."""

    reason = TextAreaField(validators=[Optional()])


class AddReviewerForm(KvipForm):
    """Add a person to the network's reviewer pool by e-mail address."""

    email = StringField(validators=[Optional()])
    name = StringField(validators=[Optional()])
    trained_lead = StringField(validators=[Optional()])

    def cut(self) -> tuple[str, str]:
        """(e-mail, name) trimmed and cut to the lengths of their columns."""
        return (self.email.data or "").strip()[:254], (self.name.data or "").strip()[:200]
