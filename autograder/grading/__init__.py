"""Grading: the pytest session the grader owns, the worker pool, and submission intake."""
