"""The class plots as PNG bytes: a score histogram and the pass rate of each test.

Drawn with matplotlib's object API on the Agg canvas: headless, no pyplot global state.
"""

from __future__ import annotations

import io
import statistics

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from autograder.feedback.stats import TestRate

GREEN, BLUE, GREY, RED = "#2da44e", "#0969da", "#8c959f", "#cf222e"


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def histogram(scores: list[float], max_score: float, *, title: str) -> bytes:
    fig = Figure(figsize=(7.5, 3.6), layout="constrained")
    ax = fig.add_subplot()
    bins = min(20, max(5, int(max_score) if max_score >= 1 else 10))
    edges = [max_score * i / bins for i in range(bins + 1)]
    ax.hist(scores, bins=edges, color=BLUE, edgecolor="white", linewidth=0.8)
    if scores:
        mean, median = statistics.fmean(scores), statistics.median(scores)
        ax.axvline(mean, color=RED, linestyle="--", linewidth=1.2, label=f"mean {mean:.1f}")
        ax.axvline(median, color="#1f2328", linestyle=":", linewidth=1.2,
                   label=f"median {median:.1f}")
        ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2,
                  fontsize=9)
    ax.set_xlim(0, max_score)
    ax.set_xlabel(f"score (out of {max_score:g})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{title}: scores of {len(scores)} submissions", loc="left", fontsize=11,
                 pad=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def pass_rates(rates: list[TestRate], *, title: str) -> bytes:
    """One horizontal bar per test, in test order; public tests green, hidden blue."""
    height = max(2.4, 1.1 + 0.19 * len(rates))
    longest = max((len(r.name) for r in rates), default=10)
    fig = Figure(figsize=(min(14.0, 4.5 + 0.065 * longest), height), layout="constrained")
    ax = fig.add_subplot()
    values = [100 * r.rate for r in rates]
    colours = [GREEN if r.visibility == "public" else BLUE for r in rates]
    ax.barh(range(len(rates)), values, color=colours, height=0.72)
    ax.set_yticks(range(len(rates)), [r.name for r in rates],
                  fontsize=7.5 if len(rates) > 30 else 9)
    ax.set_ylim(len(rates) - 0.5, -0.5)  # first test on top, no empty margins
    ax.set_xlim(0, 100)
    ax.set_xlabel("submissions that passed (%)")
    ax.tick_params(axis="x", top=True, labeltop=True)
    ax.grid(axis="x", color="#eaeef2")
    ax.set_axisbelow(True)
    ax.spines[["right"]].set_visible(False)
    graded = max((r.graded for r in rates), default=0)
    ax.legend(handles=[Patch(color=GREEN, label="public"), Patch(color=BLUE, label="hidden")],
              frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.04), ncols=2,
              fontsize=9)
    ax.set_title(f"{title}: pass rate per test ({graded} graded submissions)", loc="left",
                 fontsize=11, pad=24)
    return _png(fig)
