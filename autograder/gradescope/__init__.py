"""Gradescope: build an autograder zip, and grade one submission inside Gradescope's container."""
