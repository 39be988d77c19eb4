"""Shared event vocabulary of the FSE platform: the envelope, the typed payloads and the topics.

Services depend on this package and on the runtime kit only, never on each other.
"""
