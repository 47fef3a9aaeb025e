"""Maths in quiz text, for KaTeX: the quizzes write `y_{t,i}`, `W_hh`, `R^{n×h}`, `√h` in plain
Unicode (readable in a terminal); in the browser those tokens become TeX that KaTeX renders.

`math_html` escapes every character of the text and wraps each maths token in
`<span class="math" data-tex="...">original</span>`: the page shows the original text until
/static/quiz.js renders the TeX (never as HTML: KaTeX builds the DOM, `trust` off).
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

SUBSCRIPTED = re.compile(r"[A-Za-zα-ωΑ-Ωŷ]+(?:[_^](?:\{[^{}\s]{1,40}\}|[A-Za-z0-9α-ω]+))+ᵀ?")
ROOT = re.compile(r"√(\{[^{}\s]{1,40}\}|[A-Za-z0-9]+)")
TOKEN = re.compile(f"{SUBSCRIPTED.pattern}|{ROOT.pattern}")
UNICODE_TEX = {"×": r"\times ", "−": "-", "ŷ": r"\hat{y}", "ᵀ": r"^{\top}", "·": r"\cdot ",
               "α": r"\alpha ", "β": r"\beta ", "σ": r"\sigma ", "μ": r"\mu ", "ψ": r"\psi ",
               "θ": r"\theta ", "λ": r"\lambda ", "ε": r"\epsilon ", "τ": r"\tau "}


def to_tex(token: str) -> str:
    """One token as TeX: multi-letter subscripts braced, Unicode operators as commands."""
    if token.startswith("√"):
        inner = token[1:].strip("{}")
        return rf"\sqrt{{{to_tex(inner)}}}"
    braced = re.sub(r"([_^])([A-Za-z0-9α-ω]{2,})", r"\1{\2}", token)
    return "".join(UNICODE_TEX.get(ch, ch) for ch in braced)


def math_html(text: str) -> Markup:
    out: list[str] = []
    last = 0
    for match in TOKEN.finditer(text):
        out.append(str(escape(text[last:match.start()])))
        token = match.group(0)
        out.append(f'<span class="math" data-tex="{escape(to_tex(token))}">{escape(token)}'
                   "</span>")
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))
