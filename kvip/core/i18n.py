"""Locale selection and helpers for bilingual (nb/en) content stored in the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE.parent
#: The one catalogue: ``kvip/translations/<locale>/LC_MESSAGES/messages.po`` (+ ``messages.pot``),
#: maintained with ``make i18n-update`` (pybabel extract + update, config in ``babel.cfg``).
CATALOGUE = PACKAGE / "translations"
#: The gettext names our code uses beyond pybabel's defaults (``make i18n-update`` passes the same).
EXTRA_KEYWORDS = ("_l", "lazy_gettext")


def untranslated(locale: str = "nb") -> dict[str, str]:
    """msgid → first place it is used, for every msgid that ``babel.cfg`` extracts and the
    catalogue lacks, leaves empty, or marks fuzzy (what ``make i18n-update`` would leave to do)."""
    # Not a cycle: babel's catalogue tools load only for the i18n commands, not at app start-up.
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = dict(DEFAULT_KEYWORDS) | {name: None for name in EXTRA_KEYWORDS}
    with (CATALOGUE / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    lacking: dict[str, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if not msgid:
            continue
        entry = catalog.get(msgid, context=context)
        strings = entry.string if entry is not None else ""
        texts = strings if isinstance(strings, (tuple, list)) else (strings,)
        if entry is None or entry.fuzzy or not all(texts):
            lacking.setdefault(str(msgid), f"{filename}:{lineno}")
    return lacking


def compile_catalogues() -> int:
    """Write each locale's ``messages.mo`` (fuzzy entries left out); returns how many."""
    # Not a cycle: as in untranslated(), only for the i18n commands.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    count = 0
    for po in sorted(CATALOGUE.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with po.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog)
        count += 1
    return count


def select_locale() -> str:
    """The signed-in user's saved locale, else the session's choice, else Norwegian."""
    locales = current_app.config["KVIP_LOCALES"]
    if not has_request_context():
        # CLI and background work: the configured default (nb).
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user and current_user.is_authenticated and current_user.locale in locales:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in locales:
        return str(chosen)
    if request and request.accept_languages:
        best = request.accept_languages.best_match(["nb", "no", "nn", "en"])
        if best == "en":
            return "en"
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def lang() -> str:
    """``nb`` or ``en``: the language to pick bilingual fields in."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "nb"


def localized(obj: Any, field: str) -> str:
    """``obj.<field>_nb`` or ``obj.<field>_en`` for the current language, falling back to nb."""
    value = getattr(obj, f"{field}_{lang()}", None)
    return str(value or getattr(obj, f"{field}_nb", "") or "")
