"""A message's whole story: every event from the send to the last callback and code check, in
order, with timestamps and the request that caused it (recording.py writes it, refusals.py
keeps refused sends, service.py reads it back for `smsgate messages show` and `search`).

A slice of its own below everything that writes to it (messages, codes, delivery, callbacks,
reports' pruning): it knows outbox entries and provider answers, never the slices that make
them."""
