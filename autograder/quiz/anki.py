"""Anki export (`quiz export --format anki -o deck.apkg`), for learners who live in Anki.

One note per question, in one subdeck per quiz ("nlpgrade::<title>"). The front shows the
prompt and the options (in a shuffled order fixed per question, so the key is not always
"a"); the back shows the key in those letters, the explanation and the source. Note ids
(guids) come from the question ids, so re-importing a newer export updates the cards
instead of duplicating them. Needs the `genanki` package (the `anki` extra).
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

from autograder.quiz.answers import correct_answer, label
from autograder.quiz.moodle import to_html
from autograder.quiz.numeric import stated_prompt
from autograder.quiz.schema import (
    AnyQuestion,
    MultipleChoice,
    Ordering,
    Quiz,
    SingleChoice,
)
from autograder.quiz.shuffle import display_order

FIELDS = ["Question", "Options", "Answer", "Explanation", "Source", "QuestionId"]
_CSS = ".card { font-family: sans-serif; font-size: 18px; text-align: left; } " \
       ".options { margin-top: 0.6em; } .source { color: #777; font-size: 14px; }"
_FRONT = "{{Question}}<div class=options>{{Options}}</div>"
_BACK = ("{{FrontSide}}<hr id=answer><b>{{Answer}}</b><p>{{Explanation}}</p>"
         "<div class=source>{{Source}}</div>")


def stable_id(text: str) -> int:
    """A deterministic 31-bit id (Anki model and deck ids must stay the same across exports)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) >> 1


def card_seed(question_id: str) -> int:
    return stable_id(f"anki:{question_id}")


def fields(q: AnyQuestion) -> list[str]:
    """The note's fields (HTML) for one question."""
    order = display_order(q, card_seed(q.id))
    options = ""
    if isinstance(q, (SingleChoice, MultipleChoice)):
        options = "<br>".join(f"{label(p)}) {html.escape(q.options[i].text)}"
                              for p, i in enumerate(order))
        if isinstance(q, MultipleChoice):
            options += "<br><i>(select all that apply)</i>"
    elif isinstance(q, Ordering):
        options = "<br>".join(f"{label(p)}) {html.escape(q.items[i])}"
                              for p, i in enumerate(order)) + "<br><i>(put in order)</i>"
    answer = html.escape(correct_answer(q, order))
    return [to_html(stated_prompt(q)), options, answer, to_html(q.explanation),
            html.escape(q.source), html.escape(q.id)]


def write_deck(quizzes: list[Quiz], path: Path) -> int:
    """Write an .apkg with one subdeck per quiz; returns the number of notes."""
    import genanki

    model = genanki.Model(stable_id("nlpgrade quiz question"), "nlpgrade quiz question",
                          fields=[{"name": f} for f in FIELDS],
                          templates=[{"name": "Question", "qfmt": _FRONT, "afmt": _BACK}],
                          css=_CSS, sort_field_index=FIELDS.index("QuestionId"))
    decks = []
    notes = 0
    for quiz in quizzes:
        deck = genanki.Deck(stable_id(f"nlpgrade deck {quiz.id}"), f"nlpgrade::{quiz.title}")
        for q in quiz.questions:
            deck.add_note(genanki.Note(model=model, fields=fields(q),
                                       guid=genanki.guid_for("nlpgrade", q.id),
                                       tags=[t.replace(" ", "_") for t in q.tags]))
            notes += 1
        decks.append(deck)
    path.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(decks).write_to_file(str(path))
    return notes
