"""Delivery reports, replies (MO), GET /v1/report and /v1/reply."""
