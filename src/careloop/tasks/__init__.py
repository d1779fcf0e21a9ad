"""Tasks: who does what next for a patient, and the worklists that show it."""
