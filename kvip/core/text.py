"""Text as people type it: what the platform keeps of single-line and multi-line input.

One set of rules for every way text comes in (forms through :mod:`kvip.core.forms`, the JSON
API and the services that store names and titles):

- **Control characters** (C0, DEL, C1) are removed at input. A single-line field (a name, a
  title, an e-mail address) keeps none: a tab or line break becomes a space, the rest goes.
  Multi-line text keeps line breaks and tabs only; ``\\r\\n`` and ``\\r`` become ``\\n`` and
  the Unicode line and paragraph separators become ``\\n``.
- **Invisible formatting characters** (Unicode category Cf) in single-line fields are refused
  with a message: the bidirectional controls U+202A–U+202E and U+2066–U+2069, the marks U+200E,
  U+200F and U+061C, and every other Cf character — they can make a name read differently from
  what it is (a right-to-left override turns "Enhet gpj.exe" around) and they break exports
  and PDFs. Two exceptions are needed to write some languages and emoji and are kept:
  U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH JOINER. Four invisible characters that
  copy-and-paste from word processors and web pages brings along without anyone meaning it are
  removed silently instead of refused: U+00AD SOFT HYPHEN, U+200B ZERO WIDTH SPACE, U+2060
  WORD JOINER and U+FEFF (byte order mark).
  Multi-line text (comments, descriptions) keeps format characters: quoting right-to-left
  text needs them, and such text is never used as a name.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

# C0 controls, DEL and C1 controls.
_LINE_SPACE = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029]")
KEPT_FORMAT = frozenset("\u200c\u200d")  # ZWNJ, ZWJ
SILENT_FORMAT = frozenset("\u00ad\u200b\u2060\ufeff")
_SILENT = re.compile("[" + "".join(sorted(SILENT_FORMAT)) + "]")


def clean_line(value: str) -> str:
    """A single-line value without control characters (line breaks and tabs become a space)
    and without the silently removed invisibles. Leading and trailing spaces stay: trimming is
    the field's own business."""
    value = _LINE_SPACE.sub(" ", value)
    value = _CONTROL.sub("", value)
    return _SILENT.sub("", value)


def clean_text(value: str) -> str:
    """Multi-line text: ``\\n`` line breaks, tabs kept, every other control character removed."""
    value = _NEWLINES.sub("\n", value)
    return _TEXT_CONTROL.sub("", value)


def format_characters(value: str) -> list[str]:
    """The refused invisible formatting characters in ``value`` (each once, in order)."""
    found: list[str] = []
    for char in value:
        if (
            unicodedata.category(char) == "Cf"
            and char not in KEPT_FORMAT
            and char not in SILENT_FORMAT
            and char not in found
        ):
            found.append(char)
    return found


def strip_format_characters(value: str) -> str:
    """``value`` without the refused format characters (for a title made *from* other text)."""
    refused = set(format_characters(value))
    return "".join(c for c in value if c not in refused) if refused else value


def invisible_message(found: list[str]) -> str:
    codes = ", ".join(f"U+{ord(c):04X}" for c in found[:5])
    return _(
        "The text contains invisible formatting characters (%(codes)s), such as a "
        "right-to-left override, that can make it read differently from what it is. "
        "Delete them and type the text again.",
        codes=codes,
    )


def line_problem(value: str) -> str | None:
    """Why a single-line value is refused (invisible formatting characters), or None."""
    found = format_characters(value)
    return invisible_message(found) if found else None


def single_line(value: str, field: str, errors: dict[str, str]) -> str:
    """:func:`clean_line` for a service: the cleaned value; a refused character puts the
    message in ``errors[field]`` (the caller raises with all its field errors at once)."""
    cleaned = clean_line(value)
    problem = line_problem(cleaned)
    if problem:
        errors[field] = problem
    return cleaned
