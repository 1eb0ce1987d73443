"""Signed callbacks to apps: callback URLs, the callback outbox, its sender, retries, the dead
list and replay."""
