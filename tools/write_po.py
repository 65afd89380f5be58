"""Merge translations into a module's nb catalogue: ``python tools/write_po.py MODULE FILE.json``.

FILE.json maps English msgid → Norwegian bokmål. Existing entries are kept unless overridden.
A plural (``ngettext``) maps the singular msgid → ``{"plural": msgid_plural, "nb": [one, many]}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    module, source = sys.argv[1], Path(sys.argv[2])
    path = ROOT / "kvip" / module / "translations" / "nb" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale="nb")
    else:
        catalog = Catalog(locale="nb", project="KvIP", charset="utf-8")
    for msgid, msgstr in json.loads(source.read_text(encoding="utf-8")).items():
        if msgid in catalog:
            catalog.delete(msgid)  # Catalog.add keeps an existing entry's text: replace it
        if isinstance(msgstr, dict):
            catalog.add((msgid, msgstr["plural"]), tuple(msgstr["nb"]))
        else:
            catalog.add(msgid, msgstr)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False)
    print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")


if __name__ == "__main__":
    main()
