"""The case desk: organizations, teams, clients, cases and the append-only interaction log."""
