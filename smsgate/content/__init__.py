"""Content policy on sends: sensitive words and unsubscribed numbers."""
