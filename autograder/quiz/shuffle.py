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
    if isinstance(question, (SingleChoice, MultipleChoice)):
        pinned = [o.pin for o in question.options]
    elif isinstance(question, Ordering):
        pinned = [False] * len(question.items)
    else:
        return ()
    n = len(pinned)
    if seed is None:
        return tuple(range(n))
    rng = random.Random(f"{seed}:{question.id}")  # str seeds hash with SHA-512: stable
    free = [i for i in range(n) if not pinned[i]]
    moved = free[:]
    rng.shuffle(moved)
    order = list(range(n))
    for slot, index in zip(free, moved, strict=True):
        order[slot] = index
    if isinstance(question, Ordering) and order == sorted(order):
        order = order[1:] + order[:1]  # never show an ordering question already solved
    return tuple(order)
