"""Forms of the benchmarks module ("ask to learn").

They only collect and clean the input (:class:`KvipForm`); the rules and their messages stay in
:mod:`kvip.benchmarks.learning` (required text, length limits, the contact person), so the API
and the pages refuse the same input with the same words.
"""

from __future__ import annotations

from wtforms import HiddenField, TextAreaField
from wtforms.widgets import HiddenInput

from kvip.core.forms import IdField, KvipForm


class LearningRequestForm(KvipForm):
    """Write a request: the sending unit, the good practice and its pseudonym come from the
    link on "who to learn from" (query string) and travel in hidden fields on sending."""

    unit = IdField(widget=HiddenInput())  # 0: none named (or no valid id)
    observation = IdField(widget=HiddenInput())
    label = HiddenField(filters=[lambda v: str(v or "")[:80]])
    message = TextAreaField()


class LearningForwardForm(KvipForm):
    """The coordinator passes a request on, with an optional note."""

    note = TextAreaField()


class LearningRefuseForm(KvipForm):
    """The coordinator does not pass it on; the reason is required (checked by the service)."""

    reason = TextAreaField()


class LearningAcceptForm(KvipForm):
    """The other unit's lead accepts and names a contact person (one of the unit's members;
    the service refuses anyone else)."""

    contact = IdField()  # a <select> of the unit's members, written in the template; 0: none


class LearningDeclineForm(KvipForm):
    """The other unit's lead declines, with an optional word."""

    note = TextAreaField()
