"""Text rules below every slice and every provider: SMS segment counting and the spoken wording
of voice codes."""
