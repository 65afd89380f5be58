"""The base of every form in the app: :class:`KvipForm`.

It is Flask-WTF's ``FlaskForm`` (CSRF and all) whose text fields clean their input by the rules
of :mod:`kvip.core.text`, with no declaration in the forms themselves:

- every single-line text field (``StringField`` and its kinds: e-mail, search, URL, …) drops
  control characters and refuses invisible formatting characters with a message beside the
  field;
- every ``TextAreaField`` keeps line breaks and tabs and drops the other control characters.

Password and hidden fields are left as they are (a password is compared, never shown; hidden
fields carry the app's own values). A test checks that every form of the app derives from it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, StringField, TextAreaField

from kvip.core.db import form_id
from kvip.core.text import clean_line, clean_text, format_characters, invisible_message


def line_filter(value: Any) -> Any:
    """WTForms filter for single-line text; a ValueError becomes the field's error."""
    if not isinstance(value, str):
        return value
    cleaned = clean_line(value)
    found = format_characters(cleaned)
    if found:
        raise ValueError(invisible_message(found))
    return cleaned


def text_filter(value: Any) -> Any:
    """WTForms filter for multi-line text."""
    return clean_text(value) if isinstance(value, str) else value


def filter_for(field_class: type) -> Any:
    """The cleaning filter a field class gets, or None for fields left as they are."""
    if not issubclass(field_class, StringField):
        return None
    if issubclass(field_class, PasswordField | HiddenField):
        return None
    return text_filter if issubclass(field_class, TextAreaField) else line_filter


class KvipForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            cleaner = filter_for(unbound_field.field_class)
            if cleaner is not None:
                # First, so the field's own filters (e.g. strip) see the cleaned text.
                own = tuple(unbound_field.kwargs.get("filters") or ())
                options = {**options, "filters": (cleaner, *own)}
            return super().bind_field(form, unbound_field, options)


class IdField(Field):
    """A row id posted by a form (a hidden input or a select): 0, meaning no row, unless it fits
    a database INTEGER (see :func:`kvip.core.db.form_id`); never a validation error itself, the
    view answers "no such row"."""

    data: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # 0 also when the request carries no form data at all (Flask-WTF then processes no
        # fields): never None, which db.session.get(Model, None) warns about.
        kwargs.setdefault("default", 0)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = form_id(valuelist[0] if valuelist else None)

    def _value(self) -> str:
        return str(self.data) if self.data else ""


class IsoDateField(Field):
    """A date typed as YYYY-MM-DD (the browser's date input). Empty is None; anything else that
    is no date is the field's error, in the user's language."""

    data: date | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (valuelist[0] if valuelist else "") or ""
        text = text.strip() if isinstance(text, str) else ""
        self.data = None
        if text:
            try:
                self.data = date.fromisoformat(text)
            except ValueError:
                raise ValueError(_("Enter the date as YYYY-MM-DD.")) from None

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""


def first_error(form: FlaskForm) -> tuple[str, str] | None:
    """(field name, message) of the first field error after ``validate()``, or None."""
    for name, messages in form.errors.items():
        if messages:
            return name, str(messages[0])
    return None
