"""In-app notifications: what a staff member should look at, kept for them alone."""
