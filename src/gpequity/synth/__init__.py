"""Synthetic practice extracts with documented, planted inequalities (see README.md)."""

from .generator import PLANTED, Planted, SynthSummary, generate

__all__ = ["PLANTED", "Planted", "SynthSummary", "generate"]
