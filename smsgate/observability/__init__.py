"""What an operator sees of a running smsgate: the access log and the redaction every log line
passes on its way out, Prometheus metrics, health and readiness, and the API document with its
reading page."""
