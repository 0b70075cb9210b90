"""The builds of the report definitions (registered in calmdesk.reports.definitions)."""
