"""Forms of the standards module."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, IntegerField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from kvip.core.forms import KvipForm
from kvip.standards.validation import MAX_LEN, RESERVED_SLUGS, SLUG_RE


class ImportForm(KvipForm):
    """Upload an edition as a spreadsheet; the sheet has the standards, the form the rest."""

    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["xlsx", "csv"], _l("Upload an .xlsx or .csv file.")),
        ],
    )
    slug = StringField(
        _l("Short name (slug)"),
        validators=[
            DataRequired(),
            Length(max=MAX_LEN["slug"]),
            Regexp(
                SLUG_RE.pattern,
                message=_l("Use lower-case letters a–z, digits and hyphens, e.g. kvip-2027."),
            ),
        ],
    )
    name_nb = StringField(
        _l("Name in Norwegian"), validators=[DataRequired(), Length(max=MAX_LEN["name"])]
    )
    name_en = StringField(
        _l("Name in English"), validators=[DataRequired(), Length(max=MAX_LEN["name"])]
    )
    version = StringField(
        _l("Version"), default="1.0", validators=[DataRequired(), Length(max=MAX_LEN["version"])]
    )
    published = DateField(_l("Publication date"), validators=[Optional()])
    total = IntegerField(
        _l("Expected number of standards"), validators=[Optional(), NumberRange(min=1, max=5000)]
    )

    def validate_slug(self, field: StringField) -> None:
        if field.data in RESERVED_SLUGS:
            raise ValidationError(_l("This short name is reserved; choose another."))


class MappingForm(KvipForm):
    """The mapping page: for each standard of the new edition (input ``from_<id>``), the codes
    of the old edition's standards it continues, typed as a list."""

    def typed(self, standard_id: int) -> str:
        field = self._fields.get(f"from_{standard_id}")
        return (field.data or "") if field is not None else ""


def mapping_form(standard_ids: Iterable[int]) -> MappingForm:
    """A :class:`MappingForm` with one text field per standard of the new edition."""
    fields = {f"from_{i}": StringField(validators=[Optional()]) for i in standard_ids}
    return type("EditionMappingForm", (MappingForm,), fields)()  # type: ignore[no-any-return]
