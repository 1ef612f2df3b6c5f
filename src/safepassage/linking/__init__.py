"""Linking: the same person across lists and scripts (engine in ``engine``; workflow services beside it)."""
