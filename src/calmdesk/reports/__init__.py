"""Reports: count tables filled by an idempotent job, report pages, CSV/PDF exports and the weekly
email.
"""
