"""The rules an edition of standards must satisfy, shared by the YAML loader and the
spreadsheet importer (DESIGN §6): pure functions, no database.

Every rule reports a :class:`Problem` at a *place* — ``file:line`` for YAML,
``sheet/row/column`` for a spreadsheet — and the checks keep going, so one run lists every
problem. A set of standards is turned into plain :class:`EditionData`; loading it into the
database is :mod:`kvip.standards.services`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from flask import has_app_context, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _

from kvip.standards.duties import DIMENSION_CODES, DUTY_CODES, METHOD_CODES, TYPES

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DOMAIN_CODE_RE = re.compile(r"^[0-9]{1,3}$")
STANDARD_CODE_RE = re.compile(r"^[0-9]{1,3}\.[0-9]{1,3}[a-z]?$")
LANGUAGES = ("nb", "en")
# Edition slugs appear in URLs beside these fixed words (/standards/editions/…).
RESERVED_SLUGS = frozenset({"editions"})

# Column sizes of the models: longer values would fail in the database, so they fail here.
MAX_LEN = {
    "slug": 60,
    "name": 200,
    "version": 20,
    "domain_slug": 80,
    "domain_title": 200,
    "code": 10,
}


@dataclass(frozen=True)
class Place:
    """Where a problem is: shown as ``label``; ``key`` sorts problems in reading order."""

    label: str
    key: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Problem:
    place: Place
    message: str

    def __str__(self) -> str:
        return f"{self.place.label}: {self.message}"


class Problems:
    """Collects problems; ``sorted()`` lists them in reading order, each place once per message."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, place: Place, message: str) -> None:
        self.items.append(Problem(place, message))

    def extend(self, other: Problems) -> None:
        self.items.extend(other.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[Problem]:
        seen: set[tuple[str, str]] = set()
        out = []
        for p in sorted(self.items, key=lambda p: p.place.key):
            if (p.place.label, p.message) not in seen:
                seen.add((p.place.label, p.message))
                out.append(p)
        return out


@dataclass
class StandardData:
    code: str
    type: int
    text_nb: str
    text_en: str
    guidance_nb: str = ""
    guidance_en: str = ""
    duties: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    # How a reviewer checks it (codes of duties.METHODS); empty in editions before methods.
    methods: tuple[str, ...] = ()


@dataclass
class DomainData:
    code: str
    slug: str
    title_nb: str
    title_en: str
    standards: list[StandardData] = field(default_factory=list)


@dataclass
class EditionData:
    slug: str
    name_nb: str
    name_en: str
    version: str
    published: date | None
    total: int
    domains: list[DomainData] = field(default_factory=list)
    # Every standard must list its methods (edition.yaml ``methods_required: true``).
    methods_required: bool = False

    @property
    def standards(self) -> list[StandardData]:
        return [s for d in self.domains for s in d.standards]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EditionData:
        domains = [
            DomainData(
                **{k: v for k, v in d.items() if k != "standards"},
                standards=[
                    StandardData(
                        **{
                            **s,
                            "duties": tuple(s["duties"]),
                            "dimensions": tuple(s["dimensions"]),
                            "methods": tuple(s.get("methods") or ()),
                        }
                    )
                    for s in d["standards"]
                ],
            )
            for d in data["domains"]
        ]
        published = data.get("published")
        return cls(
            slug=data["slug"],
            name_nb=data["name_nb"],
            name_en=data["name_en"],
            version=data["version"],
            published=date.fromisoformat(published) if published else None,
            total=data["total"],
            domains=domains,
            methods_required=bool(data.get("methods_required", False)),
        )

    def content_hash(self) -> str:
        """SHA-256 of the canonical content: equal hashes mean nothing changed.

        Fields added after editions were first loaded (``methods``, ``methods_required``) are
        left out while empty, so an edition without them keeps the hash it was loaded with: a
        frozen edition's unchanged files still load as "unchanged", never as a refused change."""
        data = self.to_json()
        if not data["methods_required"]:
            del data["methods_required"]
        for domain in data["domains"]:
            for std in domain["standards"]:
                if not std["methods"]:
                    del std["methods"]
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@contextmanager
def message_locale(default: str = "en") -> Iterator[None]:
    """Messages in ``default`` outside a request (CLI, demo loading): the app's locale selector
    needs a request, so without one the language is fixed here; in a request, the user's."""
    if has_app_context() and not has_request_context():
        with force_locale(default):
            yield
    else:
        yield


# --- single values --------------------------------------------------------------------------


def _suggest(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return " " + _("Did you mean “%(choice)s”?", choice=close[0]) if close else ""


def suggest(value: str, choices: Iterable[str]) -> str:
    """`` Did you mean “x”?`` for the closest choice, or an empty string."""
    return _suggest(value, choices)


def check_text(value: Any, what: str, place: Place, problems: Problems, *, required: bool) -> str:
    """A non-empty piece of text (spaces trimmed); numbers are accepted as their text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(place, _("%(what)s is missing.", what=what))
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.add(place, _("%(what)s must be text.", what=what))
        return ""
    return str(value).strip()


def check_length(value: str, limit_key: str, what: str, place: Place, problems: Problems) -> None:
    limit = MAX_LEN[limit_key]
    if len(value) > limit:
        problems.add(
            place,
            _(
                "%(what)s is too long (%(n)d characters; at most %(max)d).",
                what=what,
                n=len(value),
                max=limit,
            ),
        )


def check_slug(value: str, what: str, place: Place, problems: Problems, limit_key: str) -> None:
    if value and not SLUG_RE.match(value):
        problems.add(
            place,
            _(
                "%(what)s “%(value)s” may contain only lower-case letters a–z, digits and hyphens.",
                what=what,
                value=value,
            ),
        )
    if limit_key == "slug" and value in RESERVED_SLUGS:
        problems.add(place, _("“%(value)s” is reserved; choose another short name.", value=value))
    check_length(value, limit_key, what, place, problems)


def check_type(value: Any, place: Place, problems: Problems) -> int:
    """Type 1 (essential), 2 (expected) or 3 (desirable); ``0`` when invalid."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.add(place, _("The type is missing (1, 2 or 3)."))
        return 0
    if number not in TYPES:
        problems.add(
            place,
            _(
                "Unknown type “%(value)s”: use 1 (essential), 2 (expected) or 3 (desirable).",
                value=value,
            ),
        )
        return 0
    return int(number)


def check_codes(
    values: list[tuple[Any, Place]],
    kind: str,
    list_place: Place,
    problems: Problems,
) -> tuple[str, ...]:
    """Known codes, each listed once; ``kind`` is duty, dimension or method. A standard serves
    one or more quality dimensions; it may serve no duty of the regulation (e.g. a facility).
    Methods, where an edition has them, are at least one (the caller asks only then)."""
    known = {"duty": DUTY_CODES, "dimension": DIMENSION_CODES, "method": METHOD_CODES}[kind]
    what = {
        "duty": _("duty"),
        "dimension": _("quality dimension"),
        "method": _("method"),
    }[kind]
    out: list[str] = []
    if not values and kind in ("dimension", "method"):
        problems.add(list_place, _("List at least one %(what)s.", what=what))
    for raw, place in values:
        code = str(raw).strip() if raw is not None else ""
        if kind == "duty":
            # Accept the regulation's own way of citing: "§ 6 d", "6 d", "6D".
            code = code.lower().replace("§", "").replace(" ", "")
        if code not in known:
            problems.add(
                place,
                _(
                    "Unknown %(what)s “%(value)s”.",
                    what=what,
                    value=code if raw is not None else "null",
                )
                + _suggest(code, known)
                + " "
                + _("Known: %(known)s.", known=", ".join(known)),
            )
        elif code in out:
            problems.add(place, _("“%(value)s” is listed twice.", value=code))
        else:
            out.append(code)
    order = {c: i for i, c in enumerate(known)}
    return tuple(sorted(out, key=lambda c: order[c]))


def check_standard_code(value: Any, domain_code: str, place: Place, problems: Problems) -> str:
    code = check_text(value, _("The code"), place, problems, required=True)
    if not code:
        return ""
    if not STANDARD_CODE_RE.match(code):
        problems.add(
            place,
            _("The code “%(code)s” must look like “4.12”: domain, a dot, a number.", code=code),
        )
    elif domain_code and code.split(".")[0] != domain_code:
        problems.add(
            place,
            _(
                "The code “%(code)s” does not belong to domain %(domain)s (its codes start with “%(domain)s.”).",
                code=code,
                domain=domain_code,
            ),
        )
    return code


# --- a whole edition ------------------------------------------------------------------------


@dataclass
class Located:
    """A standard or domain together with where it was defined."""

    item: Any
    place: Place
    places: dict[str, Place] = field(default_factory=dict)

    def at(self, name: str) -> Place:
        return self.places.get(name, self.place)


def _once(
    items: list[Located], name: str, problems: Problems, message: Callable[[str, str], str]
) -> None:
    """Report each repeat of ``item.<name>`` at its place, naming where it was first."""
    seen: dict[str, Located] = {}
    for loc in items:
        value = getattr(loc.item, name)
        if not value:
            continue
        if value in seen:
            problems.add(loc.at(name), message(value, seen[value].at(name).label))
        else:
            seen[value] = loc


def check_edition(
    edition: EditionData,
    domains: list[Located],
    standards: list[Located],
    total_place: Place,
    problems: Problems,
    *,
    total_declared: bool = True,
) -> None:
    """Rules across the edition: unique domain codes and slugs, unique standard codes, the
    declared total matches the number of standards."""
    _once(
        domains,
        "code",
        problems,
        lambda value, first: _(
            "Domain code “%(code)s” is used twice (first at %(first)s).", code=value, first=first
        ),
    )
    _once(
        domains,
        "slug",
        problems,
        lambda value, first: _(
            "Domain short name “%(slug)s” is used twice (first at %(first)s).",
            slug=value,
            first=first,
        ),
    )
    _once(
        standards,
        "code",
        problems,
        lambda value, first: _(
            "Duplicate code “%(code)s” (first at %(first)s).", code=value, first=first
        ),
    )
    count = len(standards)
    if total_declared and edition.total != count:
        problems.add(
            total_place,
            _(
                "The declared total is %(total)d but there are %(count)d standards.",
                total=edition.total,
                count=count,
            ),
        )
