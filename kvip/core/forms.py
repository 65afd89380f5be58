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

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, TextAreaField

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
