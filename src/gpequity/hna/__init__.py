"""Health needs assessment: extract reading and validation, indicators, engine, outputs."""
