"""Voice codes: the spoken message rendered to telephone audio, and the SIP call that plays it."""
