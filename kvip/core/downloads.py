"""Names of downloaded files, from text people typed (a unit called "BUP døgn Kárášjohka").

HTTP headers travel as ISO-8859-1: a ``Content-Disposition`` with ``š`` in it makes gunicorn
answer 500 and the development server hang, after the whole file has been made. The header
therefore carries an ASCII name, plus the real one as RFC 6266 ``filename*`` (UTF-8), which
every current browser uses.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# Letters that Unicode does not decompose into a base letter plus an accent.
_FOLD = str.maketrans(
    {
        "æ": "ae",
        "Æ": "Ae",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ŋ": "n",
        "Ŋ": "N",
        "ŧ": "t",
        "Ŧ": "T",
        "ß": "ss",
        "þ": "th",
        "ð": "d",
    }
)


def slug(text: str, fallback: str = "file") -> str:
    """``BUP døgn Kárášjohka`` → ``bup-dogn-karasjohka``: ASCII letters, digits and hyphens."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or fallback


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """The header value for ``filename`` (any Unicode), safe to send."""
    kind = "inline" if inline else "attachment"
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    fallback = slug(stem) + (f".{slug(ext, 'bin')}" if dot else "")
    value = f'{kind}; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value
