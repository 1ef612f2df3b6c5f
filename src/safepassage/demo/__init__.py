"""Synthetic demo data: an evacuation from Syria, with made-up people only (see ``DEMO_DISCLAIMER``)."""

from safepassage.demo.generator import DEMO_DISCLAIMER, generate_households, generate_sites

__all__ = ["DEMO_DISCLAIMER", "generate_households", "generate_sites"]
