"""What lets people see into smsgate from outside: the API document and its reading page."""
