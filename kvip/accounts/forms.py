"""Forms of the accounts module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from kvip.core.forms import KvipForm


class LoginForm(KvipForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me signed in on this device (for visits on a tablet)"))
    next = HiddenField()


class PasswordForm(KvipForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])


class TokenForm(KvipForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class ReminderChannelForm(KvipForm):
    channel = RadioField(
        _l("How you get reminders"),
        choices=[
            ("email", _l("By e-mail (a daily summary) and in KvIP")),
            ("app", _l("Only in KvIP (the Reminders page)")),
        ],
        validators=[DataRequired()],
    )


class LocaleForm(KvipForm):
    locale = SelectField(_l("Language"), choices=[("nb", "Norsk bokmål"), ("en", "English")])
    next = HiddenField()  # the page the switch was made on (checked to be local)


class UserForm(KvipForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(_l("Language"), choices=[("nb", "Norsk bokmål"), ("en", "English")])
    home_institution_id = SelectField(_l("Home institution"), coerce=int, validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)
    is_admin = BooleanField(_l("Platform administrator"))
    version = HiddenField()  # the version the editor saw (kvip.core.versioning)


class RoleForm(KvipForm):
    scope = SelectField(_l("Where"), validators=[DataRequired()])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    trained_lead = BooleanField(_l("Trained lead reviewer"))


class ForgotPasswordForm(KvipForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(KvipForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
