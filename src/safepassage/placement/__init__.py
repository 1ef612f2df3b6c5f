"""Placement: households allocated to regions for the best expected integration outcome."""
