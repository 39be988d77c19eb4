"""At-least-once delivery with exactly-once effects: a transactional outbox, an inbox of processed
event ids, and consumers that dead-letter what they cannot process."""
