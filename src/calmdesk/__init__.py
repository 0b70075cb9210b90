"""calmdesk: a case desk that helps people handle difficult clients well."""

__version__ = "0.1.0"
