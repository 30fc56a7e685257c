"""The ``gpequity`` command line."""
