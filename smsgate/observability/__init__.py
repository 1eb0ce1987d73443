"""What an operator sees of a running smsgate: Prometheus metrics, health and readiness."""
