"""The outbox: accepted messages waiting for a provider. Messages, schedules and voice fallbacks
enqueue into it inside their send's transaction; delivery claims, retries and removes. It owns
its table and imports no slice, so the slices that enqueue need not import delivery."""
