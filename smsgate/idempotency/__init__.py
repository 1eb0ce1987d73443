"""Idempotent sends: the Idempotency-Key header, its stored answers and their replay."""
