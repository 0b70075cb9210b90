"""Helpdesk connectors: webhook receivers for Zendesk, Freshdesk, Zammad and Chatwoot, and notes
posted back.
"""
