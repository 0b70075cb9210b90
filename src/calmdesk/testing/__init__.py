"""Test support shipped with the package: a throwaway PostgreSQL cluster, the pytest plugin."""
