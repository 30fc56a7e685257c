"""Models of the focus area."""
