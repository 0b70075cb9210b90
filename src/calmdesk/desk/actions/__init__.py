"""All writes to the desk tables: small ``do_*`` functions, one transaction each, one audit
entry each, side effects on commit.  Import them from their modules (``actions.cases`` …)."""
