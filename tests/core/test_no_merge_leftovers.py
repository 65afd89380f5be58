"""No merge-conflict markers in any tracked text file.

A conflict in ARCHITECTURE.md once landed unnoticed: nothing parses Markdown, so neither the
linters nor the suite saw it. Python, templates and the catalogue fail loudly; prose does not.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^(<{7}|>{7}) |^={7}$", re.M)
TEXT = {
    ".md",
    ".py",
    ".html",
    ".js",
    ".css",
    ".po",
    ".pot",
    ".yaml",
    ".yml",
    ".toml",
    ".cfg",
    ".txt",
    ".ini",
    ".json",
    "",
}


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / n for n in names if Path(n).suffix in TEXT and (ROOT / n).is_file()]


def test_the_marker_pattern_finds_a_conflict() -> None:
    sample = "a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> main\n"
    assert len(MARKER.findall(sample)) == 3
    assert not MARKER.findall("Title\n=====\n\n=========\nx <<<<<<< y\n")


def test_no_tracked_file_holds_a_conflict_marker() -> None:
    files = tracked_text_files()
    assert len(files) > 100  # git answered: the repository is really being read
    found = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
        for path in files
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for m in MARKER.finditer(text)
    ]
    assert found == []
