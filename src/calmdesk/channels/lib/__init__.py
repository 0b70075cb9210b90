"""Pure helpers of the channels app (no Django in parse.py)."""
