"""Forms of the visits module. The pages write their inputs by hand (the names below are the
inputs' names); these forms parse what comes back. The rules (roles, reasons, date windows,
state moves) live in the services, which word their own errors."""

from __future__ import annotations

from datetime import date

from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from kvip.core.forms import IdField, IsoDateField, KvipForm
from kvip.visits import scheduling

# Long enough for any real reason or comment; the services check what they need.
TEXT_MAX = 20_000


class PlanVisitForm(KvipForm):
    """Plan a visit for an enrolled unit's assessment, optionally with its date."""

    assessment_id = IdField()
    date = IsoDateField()


class VisitDateForm(KvipForm):
    date = IsoDateField()


class TeamMemberForm(KvipForm):
    user_id = IdField()
    role = StringField(validators=[Optional(), Length(max=40)])


class VisitStepForm(KvipForm):
    """Move a visit on (schedule, start, complete); ``next`` is where the button was."""

    action = StringField(validators=[AnyOf(("schedule", "start", "complete"))])
    next = StringField(validators=[Optional(), Length(max=2000)])


class ReopenVisitForm(KvipForm):
    """The reason a coordinator gives for reopening a completed visit."""

    reason = TextAreaField(validators=[Optional(), Length(max=TEXT_MAX)])


class ReportCommentForm(KvipForm):
    """The unit's comment on the shared report: on the whole report or one standard."""

    section = StringField(default="general", validators=[Optional(), Length(max=200)])
    standard = StringField(validators=[Optional(), Length(max=100)])
    text = TextAreaField(validators=[Optional(), Length(max=TEXT_MAX)])

    def target_section(self) -> str:
        """``standard:<code>`` for a comment on a standard, else the section posted."""
        if self.standard.data:
            return f"standard:{self.standard.data}"
        return self.section.data or "general"


class CommentResponseForm(KvipForm):
    response = TextAreaField(validators=[Optional(), Length(max=TEXT_MAX)])
    version = HiddenField()


class ProposeDatesForm(KvipForm):
    """Up to :data:`scheduling.MAX_DATES` dates and a note for the other side."""

    date_1 = IsoDateField()
    date_2 = IsoDateField()
    date_3 = IsoDateField()
    note = TextAreaField(validators=[Optional()])

    def dates(self) -> list[date | None]:
        return [getattr(self, f"date_{i}").data for i in range(1, scheduling.MAX_DATES + 1)]


class PickDateForm(KvipForm):
    proposal_id = IdField()
    date = IsoDateField()


class ResolveFindingForm(KvipForm):
    """The lead reviewer's team finding for one standard on the consolidation page."""

    value = StringField(validators=[Optional(), Length(max=40)])
    comment = TextAreaField(validators=[Optional(), Length(max=TEXT_MAX)])
    version = IntegerField(validators=[Optional()])
    show = StringField(validators=[Optional(), Length(max=40)])
