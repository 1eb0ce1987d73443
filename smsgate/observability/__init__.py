"""What an operator sees of a running smsgate: the access log, the redaction every log line
passes on its way out, and the API document with its reading page."""
