"""Concept quizzes: YAML files, validated, taken in the terminal, reviewed, graded and analysed.

Entry point: `autograder.quiz.cli.main`. The format is documented in docs/quizzes.md.
"""
