"""Forms of the surveys: the lead's collection window and codes, kiosk start and exit, the
network's survey settings. The respondents' questionnaire is read field by field in
:mod:`kvip.surveys.views.respond` (its questions come from the instrument file)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from kvip.core.forms import KvipForm
from kvip.surveys.models import MIN_RESPONDENTS
from kvip.surveys.services import MAX_CODES


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CollectionForm(KvipForm):
    instruments = CheckboxesField(_l("Questionnaires"))
    opens = DateField(_l("First day"), validators=[InputRequired()])
    closes = DateField(_l("Last day"), validators=[InputRequired()])


class CodesForm(KvipForm):
    instrument = SelectField(_l("Questionnaire"), validators=[DataRequired()])
    count = IntegerField(
        _l("Number of codes"),
        default=20,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_CODES)],
    )
    channel = SelectField(
        _l("Kind"),
        choices=[
            ("slip", _l("Printed slips with a QR code (young people, parents)")),
            ("staff_link", _l("Links for staff")),
        ],
    )


class KioskStartForm(KvipForm):
    instruments = CheckboxesField(_l("Questionnaires on the tablet"))
    password = PasswordField(_l("Your password"), validators=[DataRequired()])
    # Filled by the page's script: SHA-256 of a PBKDF2 key derived on the tablet from the
    # typed password (the tablet keeps the salt; see static/js/surveys.js). Leaving kiosk
    # mode offline is checked against it there; the server only uses it to let the tablet
    # close the kiosk session later (see services.close_kiosk).
    exit_check = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{64}$")])


class KioskExitForm(KvipForm):
    password = PasswordField(
        _l("Password of the staff member who started kiosk mode"), validators=[DataRequired()]
    )


class SettingsForm(KvipForm):
    min_respondents = IntegerField(
        _l("Fewest respondents before results are shown"),
        default=MIN_RESPONDENTS,
        validators=[InputRequired(), NumberRange(min=MIN_RESPONDENTS, max=100)],
    )
    record_audit_sample = IntegerField(
        _l("Records in a record audit"),
        default=10,
        validators=[InputRequired(), NumberRange(min=1, max=100)],
    )
