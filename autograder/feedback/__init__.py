"""Feedback for each student (HTML and Markdown) and the class report (CSV, plots, HTML)."""
