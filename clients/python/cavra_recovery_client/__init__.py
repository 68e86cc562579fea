"""Python SDK for the CAVRA recovery escalation service (see clients/python/README)."""
