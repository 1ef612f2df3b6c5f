"""SafePassage: humanitarian evacuation and resettlement."""

__version__ = "0.1.0"
