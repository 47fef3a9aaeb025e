"""nlpgrade: sandboxed auto-grading for self-supervised NLP coursework."""

__version__ = "0.1.0"
