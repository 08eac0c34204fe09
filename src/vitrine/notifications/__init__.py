"""Notifications: an outbox written in the same transaction as the event, sent afterwards."""
