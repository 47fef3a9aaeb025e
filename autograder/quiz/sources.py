"""Citations: every question's `source` names a course document and a section that exists.

The documents' section lists (numbers and titles, never their text) are data, in
autograder/quiz/data/sections.yaml. A citation is one of

    Homework 5 §2.2                          a numbered document
    Transformer lecture, slide 'Beam search' a titled one: "<name>, <unit> '<title>'"

and several are joined with "; ". `check_source` says what is wrong, with the closest
section that does exist.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

SECTIONS_FILE = Path(__file__).parent / "data" / "sections.yaml"
_CITATION = re.compile(
    r"^(?P<doc>[^§,']+?)(?: §(?P<number>\S+(?: Q\d+)?)|, (?P<unit>\w+) '(?P<title>[^']+)')$"
)


@dataclass(frozen=True)
class Document:
    """One course document and the sections a question may cite."""

    key: str
    name: str
    file: str
    unit: str = "section"  # how a titled section is introduced: slide, section
    numbered: dict[str, str] = field(default_factory=dict)  # "2.2" -> its title
    titles: tuple[str, ...] = ()

    def example(self) -> str:
        if self.numbered:
            return f"{self.name} §{next(iter(self.numbered))}"
        return f"{self.name}, {self.unit} '{self.titles[0]}'"


@lru_cache(maxsize=1)
def documents() -> dict[str, Document]:
    """Document name -> Document, from the bundled section lists."""
    import yaml

    data = yaml.safe_load(SECTIONS_FILE.read_text(encoding="utf-8"))
    out = {}
    for key, spec in data["documents"].items():
        doc = Document(key=key, name=spec["name"], file=spec["file"],
                       unit=spec.get("unit", "section"),
                       numbered={str(k): v for k, v in (spec.get("numbered") or {}).items()},
                       titles=tuple(spec.get("titles") or ()))
        out[doc.name] = doc
    return out


def split_citations(source: str) -> list[str]:
    return [part.strip() for part in source.split(";") if part.strip()]


def check_source(source: str) -> list[str]:
    """What is wrong with a question's `source` (empty when every citation resolves)."""
    problems = []
    for citation in split_citations(source):
        problem = _check_one(citation)
        if problem:
            problems.append(problem)
    return problems


def _check_one(citation: str) -> str | None:
    docs = documents()
    m = _CITATION.match(citation)
    if m is None:
        examples = " or ".join(repr(d.example()) for d in list(docs.values())[:2])
        return (f"{citation!r} is not a citation; write e.g. {examples} (several joined "
                "with '; ')")
    doc = docs.get(m["doc"].strip())
    if doc is None:
        return (f"unknown document {m['doc'].strip()!r} (one of: {', '.join(docs)})")
    if m["number"] is not None:
        if not doc.numbered:
            return f"{doc.name} has no numbered sections; cite it as {doc.example()!r}"
        if m["number"] not in doc.numbered:
            return f"{doc.name} has no §{m['number']}{_closest(m['number'], doc.numbered)}"
        return None
    if not doc.titles:
        return f"{doc.name} has numbered sections; cite it as {doc.example()!r}"
    if m["unit"] != doc.unit:
        return f"{doc.name} is cited by {doc.unit}: {doc.name}, {doc.unit} '{m['title']}'"
    if m["title"] not in doc.titles:
        return (f"{doc.name} has no {doc.unit} {m['title']!r}"
                f"{_closest(m['title'], list(doc.titles))}")
    return None


def _closest(wanted: str, known: list[str] | dict[str, str]) -> str:
    names = list(known)
    close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.4)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (see {SECTIONS_FILE.name}: {', '.join(names[:6])}, ...)"
