"""Desk pages.  Thin: parse the request, reach objects through ``lib.access``, render."""
