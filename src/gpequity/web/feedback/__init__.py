"""Anonymous staff feedback (issue 20, ADR 22): the writer's pages outside sessions, the
practice's inbox, replies, release in batches."""
