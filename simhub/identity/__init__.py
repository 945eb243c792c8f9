"""Organisations, users, roles and API tokens; ``authenticate`` turns a token into a caller."""
