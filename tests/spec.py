"""What the written spec says, read from the documents themselves: the columns each export prints
(docs/measures.md and docs/indicators.md, the spec word for word, and docs/our-measures.md) and the
extract's optional columns (docs/extract-format.md). A test checks the code against the page an analyst
reads, never against the code's own list."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

DOCUMENTS = ("measures.md", "indicators.md", "our-measures.md")
DOCS = Path(__file__).resolve().parents[1] / "docs"
#: A backticked list of two or more names, `a, b, c` (it may run over a line break).
_NAMES = re.compile(r"`([a-z0-9_]+(?:,\s*[a-z0-9_]+)+)`")
#: A section's second table: "A second table, `proven-reoffending-counts`, gives ... (`cohort, ...`)".
_SECOND_TABLE = re.compile(r"A second table, `([a-z-]+)`")


@cache
def _tables() -> dict[str, str]:
    """The text that gives each metric's columns: its '## name: ...' section from 'Columns:' on, and a
    second table's from where the section names it. Sections that give none (the common rules) are passed."""
    found = {}
    for document in DOCUMENTS:
        for section in re.split(r"^## ", (DOCS / document).read_text(encoding="utf-8"), flags=re.M)[1:]:
            metric = re.match(r"[a-z-]+", section)
            if metric and "Columns:" in section:
                found[metric.group()] = section[section.find("Columns:") :]
            for second in _SECOND_TABLE.finditer(section):
                found[second.group(1)] = section[second.end() :]
    return found


def documented_metrics() -> list[str]:
    """Every metric the documents give columns for, in their order."""
    return list(_tables())


def columns(metric: str) -> list[str]:
    """The columns the documents give ``metric``, in their order."""
    return [name.strip() for name in _NAMES.search(_tables()[metric]).group(1).split(",")]


def optional_columns(file: str) -> list[str]:
    """The columns docs/extract-format.md marks optional in ``file``'s table (e.g. ``children.csv``)."""
    text = (DOCS / "extract-format.md").read_text(encoding="utf-8")
    section = re.split(r"^#+ ", text, flags=re.M)
    table = next(s for s in section if s.startswith(f"{file} ") or s.startswith(f"{file}:"))
    return re.findall(r"^\| ([a-z_0-9]+) \| optional", table, flags=re.M)
