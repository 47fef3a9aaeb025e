"""Jupyter notebooks: the release notebook, code extraction from submitted notebooks, and the
public checks that run inside a student's own kernel."""
