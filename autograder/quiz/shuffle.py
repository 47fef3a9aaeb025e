"""Per-learner option order, reproducible from a recorded seed.

A question's order depends only on (seed, question id), so adding or editing another
question never reshuffles this one. Seed None means the authored order: that is what
hand-written answer files use. Pinned options ("none of the above") keep their position.
Ordering questions are authored in the correct order, so with a seed they are always shown
in some other order.
"""

from __future__ import annotations

import random

from autograder.quiz.schema import AnyQuestion, MultipleChoice, Ordering, SingleChoice

Order = tuple[int, ...]  # display position -> authored index


def new_seed() -> int:
    return random.SystemRandom().randrange(1, 1_000_000)


def display_order(question: AnyQuestion, seed: int | None) -> Order:
    """Authored indices in the order they are shown; () for questions without choices."""
    pinned = pins(question)
    if pinned is None:
        return ()
    if seed is None:
        return tuple(range(len(pinned)))
    rng = random.Random(f"{seed}:{question.id}")  # str seeds hash with SHA-512: stable
    return permutation(pinned, rng, unsolved=isinstance(question, Ordering))


def pins(question: AnyQuestion) -> list[bool] | None:
    """Which options (or ordering items) keep their place; None for other questions."""
    if isinstance(question, (SingleChoice, MultipleChoice)):
        return [o.pin for o in question.options]
    if isinstance(question, Ordering):
        return [False] * len(question.items)
    return None


def permutation(pinned: list[bool], rng: random.Random, *, unsolved: bool) -> Order:
    """Shuffle the unpinned positions. `unsolved`: never return the identity (an ordering
    question must not be shown already solved)."""
    free = [i for i, pin in enumerate(pinned) if not pin]
    moved = free[:]
    rng.shuffle(moved)
    order = list(range(len(pinned)))
    for slot, index in zip(free, moved, strict=True):
        order[slot] = index
    if unsolved and order == sorted(order):
        order = order[1:] + order[:1]
    return tuple(order)
