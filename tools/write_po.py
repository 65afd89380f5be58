"""Merge translations into the one nb catalogue: ``python tools/write_po.py FILE.json``.

FILE.json maps English msgid → Norwegian bokmål. Existing entries are kept unless overridden.
A plural (``ngettext``) maps the singular msgid → ``{"plural": msgid_plural, "nb": [one, many]}``.
The catalogue is ``kvip/translations/nb/LC_MESSAGES/messages.po``; ``make i18n-update`` drops
msgids the code no longer uses, so add the strings to the code first. (The old form
``write_po.py MODULE FILE.json`` is still accepted; MODULE is ignored: there is one catalogue.)
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    source = Path(sys.argv[-1])
    path = ROOT / "kvip" / "translations" / "nb" / "LC_MESSAGES" / "messages.po"
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
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=76, sort_output=True, omit_header=False)  # as pybabel update
    # Like `make i18n-update`: no POT-Creation-Date line, so branches do not clash on it.
    lines = buffer.getvalue().splitlines(keepends=True)
    path.write_bytes(
        b"".join(line for line in lines if not line.startswith(b'"POT-Creation-Date:'))
    )
    print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")


if __name__ == "__main__":
    main()
