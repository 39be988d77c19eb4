"""The small runtime kit every service is wired with: settings, broker, database, outbox/inbox, HTTP app,
token verification, logging. It holds no business rule."""
