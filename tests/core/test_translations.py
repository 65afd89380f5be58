"""The one translation catalogue (kvip/translations): complete for nb, and the one the app uses."""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale, gettext, ngettext

from kvip.core.i18n import CATALOGUE, PACKAGE, untranslated


def test_every_extracted_msgid_has_an_nb_translation() -> None:
    """What `pybabel extract` (babel.cfg) finds must be translated, not empty, not fuzzy.

    Fix with `make i18n-update`, then fill in the new `msgstr ""` entries in
    kvip/translations/nb/LC_MESSAGES/messages.po.
    """
    lacking = untranslated("nb")
    assert not lacking, f"translate these in {CATALOGUE}/nb (make i18n-update): {lacking}"


def test_there_is_one_catalogue_only() -> None:
    """Per-module catalogues would be ignored by the app: strings go in kvip/translations."""
    stray = [str(p) for p in PACKAGE.glob("*/translations") if p != CATALOGUE]
    assert not stray, f"move these into {CATALOGUE} (make i18n-update): {stray}"


def test_the_app_reads_the_one_catalogue(app: Flask) -> None:
    """Strings of several modules, and a plural, come out in Norwegian from the compiled catalogue."""
    with app.test_request_context(), force_locale("nb"):
        assert gettext("Sign in") == "Logg inn"
        assert gettext("Standards not met") == "Standarder som ikke er oppfylt"
        assert ngettext("%(num)d standard found", "%(num)d standards found", 2) == (
            "2 standarder funnet"
        )
    with app.test_request_context(), force_locale("en"):
        assert gettext("Standards not met") == "Standards not met"
