"""The health needs assessment in the web app: uploads, background runs, reports (ADR 17)."""
