"""Models of the plans area."""
