"""Catalogue maintenance: which user-facing strings a module has, and which lack a translation.

Each module keeps ``kvip/<module>/translations/nb/LC_MESSAGES/messages.po``. Msgids are
English; Norwegian bokmål is the default locale, so every msgid needs an nb translation.
``flask --app kvip i18n missing`` prints the missing ones as .po entries to paste and translate;
``flask --app kvip i18n compile`` builds the .mo files (``make`` does this).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kvip.config import MODULES

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def modules() -> list[str]:
    return list(MODULES) + ["demo", "api", "jobs"]


def extract(module: str) -> dict[str, str]:
    """msgid → first place it is used, for one module's Python files and templates."""
    found: dict[str, str] = {}
    sources: list[tuple[Path, list[tuple[str, str]]]] = [
        (PACKAGE / module, [("**.py", "python")]),
        (ROOT / "templates" / module, [("**.html", "jinja2")]),
    ]
    if module == "core":
        sources.append((ROOT / "templates", [("*.html", "jinja2")]))
    for directory, method_map in sources:
        if not directory.exists():
            continue
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            str(directory),
            method_map,
            keywords=KEYWORDS,
            options_map={"**.html": {"extensions": "jinja2.ext.do"}},
        ):
            if module == "core" and directory == ROOT / "templates" and "/" in filename:
                continue
            ids = message if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid:
                    found.setdefault(msgid, f"{directory.name}/{filename}:{lineno}")
    return found


def catalog_path(module: str, locale: str = "nb") -> Path:
    return PACKAGE / module / "translations" / locale / "LC_MESSAGES" / "messages.po"


def load_catalog(module: str, locale: str = "nb") -> Catalog | None:
    path = catalog_path(module, locale)
    if not path.exists():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def translated_ids(locale: str = "nb") -> set[str]:
    """Every msgid with a non-empty translation in any module's catalogue."""
    ids: set[str] = set()
    for module in modules():
        catalog = load_catalog(module, locale)
        if catalog is None:
            continue
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                key = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
                ids.add(str(key))
    return ids


def missing(locale: str = "nb") -> dict[str, dict[str, str]]:
    """module → {msgid: where} for strings without a translation anywhere."""
    have = translated_ids(locale)
    result: dict[str, dict[str, str]] = {}
    for module in modules():
        lacking = {k: v for k, v in extract(module).items() if k not in have}
        if lacking:
            result[module] = lacking
    return result


def compile_all() -> int:
    """Compile every module's .po to .mo; returns how many catalogues were written."""
    count = 0
    for po in PACKAGE.glob("*/translations/*/LC_MESSAGES/messages.po"):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with po.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog)
        count += 1
    return count


def conflicts(locale: str = "nb") -> dict[str, dict[str, str]]:
    """msgids translated differently in two modules' catalogues: ``{msgid: {module: text}}``.

    Flask-Babel merges every catalogue into one, so such a msgid would show one module's text
    everywhere, whichever catalogue happened to load first.
    """
    seen: dict[str, dict[str, str]] = {}
    for module in modules():
        catalog = load_catalog(module, locale)
        if catalog is None:
            continue
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            key = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
            text = message.string if isinstance(message.string, str) else message.string[0]
            seen.setdefault(str(key), {})[module] = str(text)
    return {k: v for k, v in seen.items() if len(set(v.values())) > 1}
