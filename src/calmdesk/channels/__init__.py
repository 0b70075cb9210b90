"""Django app: inbound email, helpdesk connectors, history import (issue 9)."""
