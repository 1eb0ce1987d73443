"""What an operator sees of a running smsgate, read from above the slices it shows: the gauges
read from the database (outbox, due schedules), the live metrics of breakers and binds, health
and readiness, the metrics port, and the API document with its reading page. What the slices
record as they work (metrics, access log, redaction, heartbeats) is smsgate.telemetry's."""
