"""Read an edition folder of YAML files (DESIGN §6) into :class:`EditionData`, reporting every
problem as ``file:line: message``.

YAML is composed into nodes (which keep their line numbers) rather than loaded straight into
Python values, so that each problem points at the line to fix. Duplicate keys, which a plain
``yaml.safe_load`` silently collapses, are problems too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from flask_babel import gettext as _

from kvip.standards.validation import (
    DOMAIN_CODE_RE,
    LANGUAGES,
    DomainData,
    EditionData,
    Located,
    Place,
    Problem,
    Problems,
    StandardData,
    check_codes,
    check_edition,
    check_length,
    check_slug,
    check_standard_code,
    check_text,
    check_type,
    message_locale,
    suggest,
)

EDITION_FILE = "edition.yaml"
EDITION_KEYS = ("slug", "name", "version", "published", "total", "methods_required", "domains")
DOMAIN_KEYS = ("code", "slug", "file", "title")
STANDARD_KEYS = ("code", "type", "text", "guidance", "duties", "dimensions", "methods")
# The mapping from an earlier edition lives beside the domain files (kvip.standards.mapping_file).
MAPPING_PREFIX = "mapping-from-"
# libyaml's composer keeps line marks too and is ~10× faster than the pure-Python one.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Node:
    """A YAML node with its (1-based) line: a mapping, a sequence or a scalar."""

    kind: str
    line: int
    value: Any = None  # the Python value of a scalar
    raw: str = ""  # the scalar as written
    mapping: dict[str, tuple[Node, int]] = field(default_factory=dict)  # key → (value, key line)
    items: list[Node] = field(default_factory=list)

    def text_value(self) -> Any:
        """A scalar meant as text: numbers and dates keep the way they were written
        (``version: 1.10`` is "1.10", not 1.1)."""
        if self.kind != "scalar":
            return self.value
        if isinstance(self.value, (int, float, date)) and not isinstance(self.value, bool):
            return self.raw
        return self.value


class YamlFile:
    """One YAML file: its label for messages, its order among the files, its problems."""

    def __init__(self, path: Path, label: str, order: int, problems: Problems) -> None:
        self.path = path
        self.label = label
        self.order = order
        self.problems = problems
        self._constructor = yaml.SafeLoader("")

    def place(self, line: int) -> Place:
        return Place(f"{self.label}:{line}", (self.order, line))

    def add(self, line: int, message: str) -> None:
        self.problems.add(self.place(line), message)

    def read(self) -> Node | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.add(1, _("The file is not UTF-8 text."))
            return None
        except OSError:
            self.add(1, _("The file cannot be read."))
            return None
        try:
            root = yaml.compose(text, Loader=_COMPOSER)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            what = " ".join(" ".join(str(x).split()) for x in (exc.context, exc.problem) if x)
            self.add(line, _("Malformed YAML: %(detail)s.", detail=what))
            return None
        except yaml.reader.ReaderError as exc:
            line = text.count("\n", 0, max(exc.position, 0)) + 1
            code = f"U+{exc.character:04X}" if isinstance(exc.character, int) else exc.character
            self.add(
                line,
                _("The file contains a character that is not allowed (code %(code)s).", code=code),
            )
            return None
        except yaml.YAMLError as exc:
            self.add(1, _("Malformed YAML: %(detail)s.", detail=" ".join(str(exc).split())))
            return None
        if root is None:
            self.add(1, _("The file is empty."))
            return None
        return self._convert(root)

    def _convert(self, node: yaml.Node) -> Node:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out = Node("map", line)
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    self.add(key_line, _("A key must be a plain word."))
                    continue
                key = str(key_node.value)
                if key in out.mapping:
                    self.add(
                        key_line,
                        _(
                            "“%(key)s” appears twice in the same entry (first on line %(line)d).",
                            key=key,
                            line=out.mapping[key][1],
                        ),
                    )
                    continue
                out.mapping[key] = (self._convert(value_node), key_line)
            return out
        if isinstance(node, yaml.SequenceNode):
            return Node("seq", line, items=[self._convert(n) for n in node.value])
        try:
            value = self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError):
            self.add(line, _("The value “%(raw)s” cannot be read.", raw=node.value))
            value = node.value
        return Node("scalar", line, value=value, raw=str(node.value))

    # --- helpers for checking entries ---

    def check_keys(self, node: Node, known: tuple[str, ...]) -> None:
        for key, (_value, line) in node.mapping.items():
            if key not in known:
                self.add(
                    line,
                    _("Unknown field “%(key)s”.", key=key)
                    + suggest(key, known)
                    + " "
                    + _("Known fields: %(known)s.", known=", ".join(known)),
                )

    def get(self, node: Node, key: str) -> tuple[Node | None, int]:
        """The value of ``key`` and its line (the entry's line if the key is missing)."""
        if key in node.mapping:
            value, line = node.mapping[key]
            return value, line
        return None, node.line

    def scalar(self, node: Node, key: str, what: str, *, required: bool = True) -> tuple[Any, int]:
        value, line = self.get(node, key)
        if value is None:
            if required:
                self.add(line, _("%(what)s is missing (field “%(key)s”).", what=what, key=key))
            return None, line
        if value.kind != "scalar":
            self.add(line, _("%(what)s must be a single value.", what=what))
            return None, line
        return value.text_value(), line

    def text(self, node: Node, key: str, what: str, *, required: bool = True) -> tuple[str, int]:
        value, line = self.scalar(node, key, what, required=required)
        if value is None:
            return "", line
        return check_text(value, what, self.place(line), self.problems, required=required), line

    def bilingual(self, node: Node, key: str, what: str, *, required: bool) -> tuple[str, str, int]:
        """``key: {nb: …, en: …}`` with both languages present."""
        value, line = self.get(node, key)
        if value is None:
            if required:
                self.add(
                    line,
                    _(
                        "%(what)s is missing (field “%(key)s” with nb and en).",
                        what=what,
                        key=key,
                    ),
                )
            return "", "", line
        if value.kind != "map":
            self.add(
                line,
                _("%(what)s must have a Norwegian (nb) and an English (en) version.", what=what),
            )
            return "", "", line
        for lang_key, (_v, lang_line) in value.mapping.items():
            if lang_key not in LANGUAGES:
                self.add(
                    lang_line,
                    _("Unknown language “%(lang)s”: use nb and en.", lang=lang_key),
                )
        texts = []
        for lang, label in (("nb", _("Norwegian (nb)")), ("en", _("English (en)"))):
            lang_node, lang_line = self.get(value, lang)
            if lang_node is None or (
                lang_node.kind == "scalar"
                and (lang_node.value is None or not str(lang_node.value).strip())
            ):
                self.add(
                    lang_line if lang_node is not None else line,
                    _("%(what)s: the %(lang)s version is missing.", what=what, lang=label),
                )
                texts.append("")
                continue
            if lang_node.kind != "scalar":
                self.add(lang_line, _("%(what)s must be text.", what=what))
                texts.append("")
                continue
            texts.append(
                check_text(
                    lang_node.text_value(),
                    what,
                    self.place(lang_line),
                    self.problems,
                    required=True,
                )
            )
        return texts[0], texts[1], line

    def code_list(
        self, node: Node, key: str, kind: str, *, required: bool = True
    ) -> tuple[str, ...]:
        value, line = self.get(node, key)
        if value is None:
            if required:
                self.add(
                    line,
                    {
                        "duty": _("The duties are missing (field “duties”)."),
                        "dimension": _("The dimensions are missing (field “dimensions”)."),
                        "method": _(
                            "The methods are missing (field “methods”): this edition requires them."
                        ),
                    }[kind],
                )
            return ()
        if value.kind == "scalar" and value.value is None:
            entries: list[tuple[Any, Place]] = []
        elif value.kind != "seq":
            self.add(
                line,
                {
                    "duty": _("The duties must be a list, e.g. [6d, 7c]."),
                    "dimension": _("The dimensions must be a list, e.g. [safe, effective]."),
                    "method": _("The methods must be a list, e.g. [document, interview_staff]."),
                }[kind],
            )
            return ()
        else:
            entries = [
                (
                    item.text_value() if item.kind == "scalar" else repr(item.kind),
                    self.place(item.line),
                )
                for item in value.items
            ]
        return check_codes(entries, kind, self.place(line), self.problems)


def _published(file: YamlFile, node: Node) -> date | None:
    value, line = file.scalar(node, "published", _("The publication date"), required=False)
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        file.add(line, _("The date “%(value)s” must be written as YYYY-MM-DD.", value=value))
        return None


def _flag(file: YamlFile, node: Node, key: str, what: str) -> bool:
    """An optional yes/no field (``true``/``false``); absent means no."""
    value, line = file.get(node, key)
    if value is None:
        return False
    if value.kind != "scalar" or not isinstance(value.value, bool):
        file.add(line, _("%(what)s must be true or false.", what=what))
        return False
    return value.value


def _total(file: YamlFile, node: Node) -> tuple[int | None, int]:
    value, line = file.scalar(node, "total", _("The total number of standards"))
    if value is None:
        return None, line
    raw = str(value).strip()
    if not raw.isdigit():
        file.add(line, _("The total must be a whole number, not “%(value)s”.", value=value))
        return None, line
    return int(raw), line


def _standard(
    file: YamlFile, node: Node, domain_code: str, *, methods_required: bool = False
) -> Located:
    file.check_keys(node, STANDARD_KEYS)
    code_value, code_line = file.scalar(node, "code", _("The code"))
    code = (
        check_standard_code(code_value, domain_code, file.place(code_line), file.problems)
        if code_value is not None
        else ""
    )
    type_value, type_line = file.get(node, "type")
    if type_value is None:
        file.add(type_line, _("The type is missing (1, 2 or 3)."))
        std_type = 0
    else:
        std_type = check_type(
            type_value.value if type_value.kind == "scalar" else [],
            file.place(type_line),
            file.problems,
        )
    text_nb, text_en, text_line = file.bilingual(node, "text", _("The text"), required=True)
    guidance_nb, guidance_en, _g = file.bilingual(
        node, "guidance", _("The guidance"), required=False
    )
    duties = file.code_list(node, "duties", "duty")
    dimensions = file.code_list(node, "dimensions", "dimension")
    methods = file.code_list(node, "methods", "method", required=methods_required)
    std = StandardData(
        code=code,
        type=std_type,
        text_nb=text_nb,
        text_en=text_en,
        guidance_nb=guidance_nb,
        guidance_en=guidance_en,
        duties=duties,
        dimensions=dimensions,
        methods=methods,
    )
    return Located(
        std,
        file.place(node.line),
        {
            "code": file.place(code_line),
            "type": file.place(type_line),
            "text": file.place(text_line),
        },
    )


def parse_edition_dir(path: str | Path) -> tuple[EditionData | None, list[Problem]]:
    """Read and check an edition folder; returns the data (None if unusable) and every problem,
    in reading order. The data may only be loaded when the problem list is empty."""
    with message_locale():
        return _parse_edition_dir(path)


def _parse_edition_dir(path: str | Path) -> tuple[EditionData | None, list[Problem]]:
    root = Path(path)
    problems = Problems()
    label = str(path).rstrip("/")
    if not root.is_dir():
        problems.add(Place(label, (0, 0)), _("Not a folder."))
        return None, problems.sorted()
    ed_file = YamlFile(root / EDITION_FILE, f"{label}/{EDITION_FILE}", 0, problems)
    if not ed_file.path.is_file():
        problems.add(ed_file.place(1), _("The edition file is missing."))
        return None, problems.sorted()
    top = ed_file.read()
    if top is None:
        return None, problems.sorted()
    if top.kind != "map":
        ed_file.add(top.line, _("The edition file must be a mapping of slug, name, version, …"))
        return None, problems.sorted()
    ed_file.check_keys(top, EDITION_KEYS)
    slug, slug_line = ed_file.text(top, "slug", _("The short name (slug)"))
    check_slug(slug, _("The short name (slug)"), ed_file.place(slug_line), problems, "slug")
    name_nb, name_en, name_line = ed_file.bilingual(top, "name", _("The name"), required=True)
    for value in (name_nb, name_en):
        check_length(value, "name", _("The name"), ed_file.place(name_line), problems)
    version, version_line = ed_file.text(top, "version", _("The version"))
    check_length(version, "version", _("The version"), ed_file.place(version_line), problems)
    published = _published(ed_file, top)
    total, total_line = _total(ed_file, top)
    methods_required = _flag(
        ed_file, top, "methods_required", _("“methods_required” (every standard lists methods)")
    )
    edition = EditionData(
        slug=slug,
        name_nb=name_nb,
        name_en=name_en,
        version=version,
        published=published,
        total=total or 0,
        methods_required=methods_required,
    )

    domains_node, domains_line = ed_file.get(top, "domains")
    domain_entries: list[Node] = []
    if domains_node is None:
        ed_file.add(domains_line, _("The domains are missing (field “domains”)."))
    elif domains_node.kind != "seq" or not domains_node.items:
        ed_file.add(domains_line, _("The domains must be a non-empty list."))
    else:
        domain_entries = domains_node.items

    located_domains: list[Located] = []
    located_standards: list[Located] = []
    used_files: dict[str, int] = {}
    for order, entry in enumerate(domain_entries, start=1):
        if entry.kind != "map":
            ed_file.add(
                entry.line, _("Each domain must be a mapping of code, slug, file and title.")
            )
            continue
        ed_file.check_keys(entry, DOMAIN_KEYS)
        code, code_line = ed_file.text(entry, "code", _("The domain code"))
        if code and not DOMAIN_CODE_RE.match(code):
            ed_file.add(code_line, _("The domain code “%(code)s” must be a number.", code=code))
            code = ""
        # A repeated domain code is reported once (by check_edition), not once per standard.
        prefix = "" if any(d.code == code for d in edition.domains) else code
        d_slug, d_slug_line = ed_file.text(entry, "slug", _("The domain short name"))
        check_slug(
            d_slug, _("The domain short name"), ed_file.place(d_slug_line), problems, "domain_slug"
        )
        title_nb, title_en, title_line = ed_file.bilingual(
            entry, "title", _("The domain title"), required=True
        )
        for value in (title_nb, title_en):
            check_length(value, "domain_title", _("The title"), ed_file.place(title_line), problems)
        domain = DomainData(code=code, slug=d_slug, title_nb=title_nb, title_en=title_en)
        edition.domains.append(domain)
        located_domains.append(
            Located(
                domain,
                ed_file.place(entry.line),
                {"code": ed_file.place(code_line), "slug": ed_file.place(d_slug_line)},
            )
        )
        filename, file_line = ed_file.text(entry, "file", _("The domain's file"))
        if not filename:
            continue
        if "/" in filename or "\\" in filename or filename.startswith("."):
            ed_file.add(
                file_line, _("“%(file)s” must be a file name in the same folder.", file=filename)
            )
            continue
        if filename in used_files:
            ed_file.add(
                file_line,
                _(
                    "The file “%(file)s” is used by two domains (first on line %(line)d).",
                    file=filename,
                    line=used_files[filename],
                ),
            )
            continue
        used_files[filename] = file_line
        if not (root / filename).is_file():
            ed_file.add(file_line, _("The file “%(file)s” does not exist.", file=filename))
            continue
        dfile = YamlFile(root / filename, f"{label}/{filename}", order, problems)
        body = dfile.read()
        if body is None:
            continue
        if body.kind != "seq":
            dfile.add(body.line, _("A domain file must be a list of standards."))
            continue
        if not body.items:
            dfile.add(body.line, _("The domain has no standards."))
        for item in body.items:
            if item.kind != "map":
                dfile.add(item.line, _("Each standard must be a mapping of code, type, text, …"))
                continue
            located = _standard(dfile, item, prefix, methods_required=methods_required)
            domain.standards.append(located.item)
            located_standards.append(located)

    for extra in sorted(root.iterdir()):
        if (
            extra.suffix in (".yaml", ".yml")
            and extra.name != EDITION_FILE
            and extra.name not in used_files
            and not extra.name.startswith(MAPPING_PREFIX)
        ):
            problems.add(
                Place(f"{label}/{extra.name}:1", (10_000, 1)),
                _("This file is not listed under “domains” in %(file)s.", file=EDITION_FILE),
            )

    check_edition(
        edition,
        located_domains,
        located_standards,
        ed_file.place(total_line),
        problems,
        total_declared=total is not None,
    )
    result = problems.sorted()
    return (None if result else edition), result
