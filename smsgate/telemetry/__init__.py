"""What every slice reports about itself as it works: the Prometheus metrics and the calls that
move them, the access log with its request id, the redaction every log line passes on its way
out, and the process state its loops beat into. It imports no slice, so any slice may use it;
what reads delivery and messages to show them (gauges, live metrics, readiness, the metrics
port, the API document) is observability's, above them."""
