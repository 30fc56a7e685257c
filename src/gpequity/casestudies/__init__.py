"""Case studies, the Django-free part: workflow, review checklist, cost bands, Markdown
rendering and spreadsheet-safe cells. The web app gpequity.web.casestudies calls these."""
