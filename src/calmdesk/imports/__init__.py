"""History import: resumable, idempotent import of clients, cases and messages from CSV, JSONL and
a Zendesk export.
"""
