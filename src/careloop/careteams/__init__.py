"""Care teams: who looks after each patient, in which role; membership grants access."""
