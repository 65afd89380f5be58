"""Locale selection and helpers for bilingual (nb/en) content stored in the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

PACKAGE = Path(__file__).resolve().parent.parent


def translation_directories() -> str:
    """Every module keeps its own catalogue in ``kvip/<module>/translations``; Flask-Babel merges them."""
    dirs = sorted(str(p) for p in PACKAGE.glob("*/translations") if p.is_dir())
    return ";".join(dirs)


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
