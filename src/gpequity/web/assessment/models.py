"""Models of the assessment area."""
