"""gpequity: find and close health inequalities in general practice.

The package has two halves. The core (everything except ``gpequity.web``) imports no
Django and can be used from Python or the ``gpequity`` command line. ``gpequity.web`` is the
Django application that calls the core.
"""

__version__ = "0.1.0"
