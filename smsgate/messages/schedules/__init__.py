"""Scheduled template SMS: /v1/schedule*, their storage, and the scheduler that sends them."""
