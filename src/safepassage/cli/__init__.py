"""The ``safepassage`` command line: thin commands over the services."""
