"""nbgrader interoperability: grade an nbgrader course folder (`submitted/`) and write
`autograded/`, `feedback/` and nbgrader's own gradebook."""
