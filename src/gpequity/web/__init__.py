"""The gpequity web application (Django). Calls the core; holds organisations and their work."""
