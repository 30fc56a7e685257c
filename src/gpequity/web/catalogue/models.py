"""Models of the catalogue area."""
