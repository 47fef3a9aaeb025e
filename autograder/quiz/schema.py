"""The typed schema of a quiz file (pydantic v2). docs/quizzes.md is its reference.

Structure only: what each field is and its type. The checks that need a whole question
(exactly one correct option, symbolic answers that parse, unique ids, cited sections that
exist, giveaways) live in checks.py and giveaways.py, so that each can name the precise field
it is about. The answer keys, explanations, tags and sources are optional here because a
learner's key-free copy (`quiz release`) has none; checks.py requires them in every other
quiz.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ScoringRule = Literal["all-or-nothing", "net-correct", "each-answer"]
SCORING_RULES: tuple[str, ...] = ("all-or-nothing", "net-correct", "each-answer")
DEFAULT_SCORING: ScoringRule = "net-correct"

Assumption = Literal["real", "positive", "nonnegative", "negative", "nonpositive", "integer",
                     "nonzero"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9._-]*$",
                           max_length=80)
]


class _Strict(BaseModel):
    """Unknown fields are errors (a typo like `explaination` must not pass silently)."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, defer_build=True)


class Option(_Strict):
    """One choice of a `single` or `multiple` question."""

    text: Text
    correct: bool = False
    feedback: str = ""  # shown when the learner picks this option
    pin: bool = False  # keep this option at its authored position ("none of the above")


class Tolerance(_Strict):
    """A numeric answer is right when within `abs` OR within `rel` (relative) of the key."""

    abs: float | None = Field(default=None, ge=0)
    rel: float | None = Field(default=None, ge=0)


class Variable(_Strict):
    """A symbol of a `symbolic` question: its sympy assumptions and what else learners type."""

    assumptions: list[Assumption] = Field(default_factory=list)
    aliases: list[Text] = Field(default_factory=list)  # e.g. [σ] for sigma


class _Question(_Strict):
    id: Identifier  # stable, unique across all quizzes
    prompt: Text
    points: float = Field(default=1.0, gt=0)
    tags: list[Text] = Field(default_factory=list)  # shown after answering; at least one
    source: str = ""  # "Homework 5 §2.2": the document and section (see sources.py)
    explanation: str = ""  # shown after answering: it should teach, not just restate the key


MAX_CHOICES = 26  # options and ordering items are labelled a..z


class _Choice(_Question):
    options: list[Option] = Field(min_length=2, max_length=MAX_CHOICES)

    @property
    def options_text(self) -> list[str]:
        return [o.text for o in self.options]


class SingleChoice(_Choice):
    type: Literal["single"]


class MultipleChoice(_Choice):
    type: Literal["multiple"]
    scoring: ScoringRule | None = None  # None: the quiz's rule


class TrueFalse(_Question):
    type: Literal["true_false"]
    answer: bool | None = None
    feedback_true: str = ""  # shown when the learner answers True
    feedback_false: str = ""


class Numeric(_Question):
    type: Literal["numeric"]
    # A number, or exact text such as "1/3" or "2^20"; None only in a key-free copy.
    answer: float | str | None = None
    # None: exact, unless `decimals` says how many decimal places the learner must give.
    tolerance: Tolerance | None = None
    decimals: int | None = Field(default=None, ge=0, le=12)  # asked for in the prompt
    unit: str = ""  # shown with the prompt; answers may carry it ("64 MiB", "15%")
    units: dict[str, float] = Field(default_factory=dict)  # other units -> value in `unit`


class Symbolic(_Question):
    type: Literal["symbolic"]
    # In the syntax learners type, e.g. "d*(sigma^4 + 2*mu^2*sigma^2)"; None in a key-free copy.
    answer: Text | None = None
    variables: dict[str, Variable] = Field(min_length=1)
    functions: list[str] | None = None  # allowed function names; None: the default set
    quantity: list[Text] = Field(default_factory=list)  # what learners may write before '='


class ShortText(_Question):
    type: Literal["short"]
    accept: list[Text] = Field(default_factory=list)  # exact strings, after normalising spaces
    regex: list[Text] = Field(default_factory=list)  # full-match patterns
    case_sensitive: bool = False


class Ordering(_Question):
    type: Literal["ordering"]
    items: list[Text] = Field(min_length=2, max_length=MAX_CHOICES)  # correct order; shown shuffled


AnyQuestion = SingleChoice | MultipleChoice | TrueFalse | Numeric | Symbolic | ShortText | Ordering
ChoiceQuestion = SingleChoice | MultipleChoice
Question = Annotated[AnyQuestion, Field(discriminator="type")]
QUESTION_TYPES: tuple[str, ...] = (
    "single", "multiple", "true_false", "numeric", "symbolic", "short", "ordering",
)


class Release(_Strict):
    """Marks a learner's key-free copy written by `quiz release`."""

    of: Identifier  # the instructor's quiz id
    digest: Text  # of the option orders, so that `quiz grade` can map answers back


class QuizHeader(_Strict):
    """Everything of a quiz file but its questions."""

    id: Identifier
    title: Text
    source: Text  # the handout or lecture the quiz covers
    scoring: ScoringRule = DEFAULT_SCORING  # for `multiple` questions without their own rule
    description: str = ""  # shown before the first question: the notation, the ground rules
    release: Release | None = None  # set only in a key-free copy


class Quiz(QuizHeader):
    """One quiz file."""

    questions: list[Question] = Field(min_length=1)

    def rule_for(self, question: AnyQuestion) -> ScoringRule:
        own = question.scoring if isinstance(question, MultipleChoice) else None
        return own or self.scoring

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)

    def question(self, question_id: str) -> AnyQuestion | None:
        return next((q for q in self.questions if q.id == question_id), None)
