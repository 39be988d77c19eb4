"""The tariff service's own tables."""

from sqlalchemy import MetaData

from runtime.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)
