"""Notifications: rejection notices, maintenance notices, statements, e-mail delivery."""
