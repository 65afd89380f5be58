"""Read the mapping file of an edition folder (``mapping-from-<older slug>.yaml``): which
standard of the older edition each standard continues, and how it changed (DESIGN §6).

The file is a mapping::

    from: kvip-2026
    to: kvip-2027
    standards:
      - {old: "1.1", new: "1.1", change: same}
      - {old: "1.7", new: "1.7", change: reworded, meaning_changed: true}
      - {old: "1.13", new: "4.32", change: merged}
      - {old: "2.12", new: ["2.12", "2.33"], change: split}
      - {old: "1.28", new: null, change: dropped, note: "…"}
      - {old: null, new: "1.31", change: new}

It is checked with the same strictness as the edition (every problem as ``file:line:
message``): every code of the older edition listed exactly once, every code of the newer one
reached, codes that exist, a known kind of change that fits the codes given. Storing it is
:func:`kvip.standards.services.load_mapping`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from kvip.standards.loader import MAPPING_PREFIX, Node, YamlFile
from kvip.standards.models import CHANGE_KINDS
from kvip.standards.validation import Problem, Problems, message_locale, suggest

MAPPING_KEYS = ("from", "to", "standards")
ENTRY_KEYS = ("old", "new", "change", "meaning_changed", "note")
# The kinds whose rating may mean something else under the new text.
MEANING_KINDS = ("reworded", "merged", "split")
# Kinds that link one old standard to the new standard it mainly continues (a merged-in
# standard is absorbed, not continued as the main line).
MAIN_KINDS = ("same", "reworded", "split")


@dataclass
class MappingEntry:
    old: str | None
    new: tuple[str, ...]  # empty for a dropped standard; two or more for a split
    change: str
    meaning_changed: bool = False
    note: str = ""
    line: int = 0


@dataclass
class MappingData:
    from_slug: str
    to_slug: str
    entries: list[MappingEntry] = field(default_factory=list)

    def links(self) -> list[tuple[str | None, str | None, str, bool, str]]:
        """One (old code, new code, change, meaning_changed, note) per link: a split gives one
        per part, a dropped standard a link to None, a new one a link from None."""
        out: list[tuple[str | None, str | None, str, bool, str]] = []
        for e in self.entries:
            targets: tuple[str | None, ...] = e.new or (None,)
            for code in targets:
                out.append((e.old, code, e.change, e.meaning_changed, e.note))
        return out


def mapping_files(root: str | Path) -> list[Path]:
    """The mapping files of an edition folder (normally none or one)."""
    folder = Path(root)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.name.startswith(MAPPING_PREFIX) and p.suffix in (".yaml", ".yml") and p.is_file()
    )


def from_slug_of(path: Path) -> str:
    """``mapping-from-kvip-2026.yaml`` → ``kvip-2026``."""
    return path.stem[len(MAPPING_PREFIX) :]


def parse_mapping_file(
    path: str | Path,
    *,
    to_slug: str,
    new_codes: Collection[str],
    old_codes: Collection[str] | None,
    label: str | None = None,
) -> tuple[MappingData | None, list[Problem]]:
    """Read and check one mapping file against the codes of both editions; ``old_codes`` None
    means the older edition could not be found (reported). Returns the data (None if there is
    any problem) and every problem in reading order."""
    with message_locale():
        return _parse(Path(path), to_slug, set(new_codes), old_codes, label)


def _code(file: YamlFile, node: Node, what: str) -> str | None:
    """A code written as text ("1.10"); numbers keep the way they were written."""
    if node.kind != "scalar":
        file.add(node.line, _("%(what)s must be a code such as “4.12”.", what=what))
        return None
    value = node.text_value()
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        file.add(node.line, _("%(what)s must be a code such as “4.12”.", what=what))
        return None
    return str(value).strip()


def _parse(
    path: Path,
    to_slug: str,
    new_codes: set[str],
    old_codes: Collection[str] | None,
    label: str | None,
) -> tuple[MappingData | None, list[Problem]]:
    problems = Problems()
    file = YamlFile(path, label or str(path), 20_000, problems)
    top = file.read()
    if top is None:
        return None, problems.sorted()
    if top.kind != "map":
        file.add(top.line, _("The mapping file must be a mapping of from, to and standards."))
        return None, problems.sorted()
    file.check_keys(top, MAPPING_KEYS)
    from_slug, from_line = file.text(top, "from", _("The older edition (from)"))
    to_value, to_line = file.text(top, "to", _("The newer edition (to)"))
    expected_from = from_slug_of(path)
    if from_slug and from_slug != expected_from:
        file.add(
            from_line,
            _(
                "“from” says %(slug)s but the file is named for %(expected)s.",
                slug=from_slug,
                expected=expected_from,
            ),
        )
    if to_value and to_value != to_slug:
        file.add(
            to_line,
            _(
                "“to” says %(slug)s but the file is in the folder of %(expected)s.",
                slug=to_value,
                expected=to_slug,
            ),
        )
    if from_slug and from_slug == to_slug:
        file.add(from_line, _("An edition cannot be mapped from itself."))
    if old_codes is None and from_slug:
        file.add(
            from_line,
            _(
                "The edition %(slug)s must be loaded first (to check only, a valid folder of it beside this one will do).",
                slug=from_slug,
            ),
        )
    data = MappingData(from_slug=from_slug, to_slug=to_slug)
    list_node, list_line = file.get(top, "standards")
    if list_node is None:
        file.add(list_line, _("The standards are missing (field “standards”)."))
        return None, problems.sorted()
    if list_node.kind != "seq" or not list_node.items:
        file.add(list_line, _("“standards” must be a non-empty list of entries."))
        return None, problems.sorted()

    old_known = set(old_codes) if old_codes is not None else None
    old_seen: dict[str, int] = {}
    main_of: dict[str, tuple[str, int]] = {}  # new code → (old code, line) of its main line
    new_marked: dict[str, int] = {}  # new code → line of its "change: new" entry
    reached: dict[str, int] = {}  # new code → first line that continues into it
    for item in list_node.items:
        if item.kind != "map":
            file.add(item.line, _("Each entry must be a mapping of old, new and change."))
            continue
        entry = _entry(file, item, old_known, new_codes, from_slug, to_slug)
        if entry is None:
            continue
        data.entries.append(entry)
        if entry.old is not None:
            if entry.old in old_seen:
                file.add(
                    entry.line,
                    _(
                        "%(code)s is listed twice (first on line %(line)d).",
                        code=entry.old,
                        line=old_seen[entry.old],
                    ),
                )
            else:
                old_seen[entry.old] = entry.line
        for code in entry.new:
            if entry.change == "new":
                if code in new_marked:
                    file.add(
                        entry.line,
                        _(
                            "%(code)s is marked new twice (first on line %(line)d).",
                            code=code,
                            line=new_marked[code],
                        ),
                    )
                new_marked.setdefault(code, entry.line)
            else:
                reached.setdefault(code, entry.line)
            if entry.change in MAIN_KINDS and entry.old is not None:
                if code in main_of and main_of[code][0] != entry.old:
                    first_old, first_line = main_of[code]
                    file.add(
                        entry.line,
                        _(
                            "%(new)s already continues %(first)s (line %(line)d); a second older standard that lives on in it is “merged”.",
                            new=code,
                            first=first_old,
                            line=first_line,
                        ),
                    )
                main_of.setdefault(code, (entry.old, entry.line))
    for code, line in new_marked.items():
        if code in reached:
            file.add(
                line,
                _(
                    "%(code)s is marked new but continues an older standard on line %(other)d.",
                    code=code,
                    other=reached[code],
                ),
            )
    if old_known is not None:
        for code in sorted(old_known - set(old_seen), key=_code_key):
            file.add(
                list_line,
                _(
                    "Standard %(code)s of %(slug)s is missing: list every older standard once (same, reworded, merged, split or dropped).",
                    code=code,
                    slug=from_slug,
                ),
            )
    for code in sorted(new_codes - set(reached) - set(new_marked), key=_code_key):
        file.add(
            list_line,
            _(
                "Standard %(code)s of %(slug)s is missing: every standard of the edition continues an older one or is marked new.",
                code=code,
                slug=to_slug,
            ),
        )
    result = problems.sorted()
    return (None if result else data), result


def _entry(
    file: YamlFile,
    item: Node,
    old_known: set[str] | None,
    new_codes: set[str],
    from_slug: str,
    to_slug: str,
) -> MappingEntry | None:
    file.check_keys(item, ENTRY_KEYS)
    change_value, change_line = file.scalar(item, "change", _("The kind of change"))
    change = str(change_value).strip() if change_value is not None else ""
    if change_value is not None and change not in CHANGE_KINDS:
        file.add(
            change_line,
            _("Unknown kind of change “%(value)s”.", value=change)
            + suggest(change, CHANGE_KINDS)
            + " "
            + _("Known: %(known)s.", known=", ".join(CHANGE_KINDS)),
        )
        change = ""
    old_node, old_line = file.get(item, "old")
    new_node, new_line = file.get(item, "new")
    if old_node is None:
        file.add(old_line, _("“old” is missing (the older code, or null for a new standard)."))
    if new_node is None:
        file.add(new_line, _("“new” is missing (the newer code, a list, or null if dropped)."))
    old = _code(file, old_node, _("“old”")) if old_node is not None else None
    new: list[str] = []
    new_is_list = False
    if new_node is not None:
        if new_node.kind == "seq":
            new_is_list = True
            for part in new_node.items:
                code = _code(file, part, _("Each part of “new”"))
                if code is None:
                    file.add(part.line, _("Each part of “new” must be a code such as “4.12”."))
                elif code in new:
                    file.add(part.line, _("“%(value)s” is listed twice.", value=code))
                else:
                    new.append(code)
        elif new_node.kind == "scalar":
            code = _code(file, new_node, _("“new”"))
            if code is not None:
                new.append(code)
        else:
            file.add(new_line, _("“new” must be a code, a list of codes or null."))

    if old is not None and old_known is not None and old not in old_known:
        file.add(
            old_line,
            _("There is no standard %(code)s in %(slug)s.", code=old, slug=from_slug)
            + suggest(old, old_known),
        )
    for code in new:
        if code not in new_codes:
            file.add(
                new_line,
                _("There is no standard %(code)s in %(slug)s.", code=code, slug=to_slug)
                + suggest(code, new_codes),
            )

    if change == "new":
        if old is not None:
            file.add(old_line, _("A new standard has no older code: write old: null."))
        if len(new) != 1 or new_is_list:
            file.add(new_line, _("A new standard is one code in “new”."))
    elif change == "dropped":
        if old is None:
            file.add(old_line, _("A dropped standard needs its older code in “old”."))
        if new or new_is_list:
            file.add(
                new_line,
                _("A dropped standard continues in no standard: write new: null (or use merged)."),
            )
    elif change == "split":
        if old is None:
            file.add(old_line, _("A split standard needs its older code in “old”."))
        if not new_is_list or len(new) < 2:
            file.add(new_line, _("A split standard lists its parts: new: [“2.12”, “2.33”]."))
    elif change:
        if old is None:
            file.add(
                old_line,
                _("“%(change)s” needs the older code in “old”.", change=change),
            )
        if len(new) != 1 or new_is_list:
            file.add(
                new_line,
                _(
                    "“%(change)s” continues in one standard: give one code in “new” (a list is for split).",
                    change=change,
                ),
            )

    meaning_node, meaning_line = file.get(item, "meaning_changed")
    meaning_changed = False
    if meaning_node is not None:
        if meaning_node.kind != "scalar" or not isinstance(meaning_node.value, bool):
            file.add(meaning_line, _("“meaning_changed” must be true or false."))
        else:
            meaning_changed = meaning_node.value
            if meaning_changed and change and change not in MEANING_KINDS:
                file.add(
                    meaning_line,
                    _(
                        "“meaning_changed” applies to reworded, merged or split standards, not to “%(change)s”.",
                        change=change,
                    ),
                )
    note, _note_line = file.text(item, "note", _("The note"), required=False)
    if not change:
        return None
    # An entry with problems is still kept: the checks across entries (listed twice, missing)
    # then report against what was written rather than piling up follow-on problems.
    return MappingEntry(
        old=old,
        new=tuple(new),
        change=change,
        meaning_changed=meaning_changed,
        note=note,
        line=item.line,
    )


def _code_key(code: str) -> tuple[Any, ...]:
    head, _sep, tail = code.partition(".")
    digits = "".join(c for c in tail if c.isdigit())
    return (int(head) if head.isdigit() else 0, int(digits) if digits else 0, code)
