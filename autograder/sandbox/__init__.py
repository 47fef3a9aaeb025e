"""The sandbox: a jailed fork server per worker, and the grader-side client that drives it."""
