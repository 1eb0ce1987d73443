"""Voice fallback: a text code whose SMS failed or stayed unconfirmed is read out by a call."""
