"""Movements: legs, planning, manifests, boarding passes, checkpoint scans."""
