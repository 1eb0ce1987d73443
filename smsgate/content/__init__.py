"""Content policy on sends: sensitive words, unsubscribed numbers, app allowlists and blocks."""
