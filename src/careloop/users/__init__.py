"""Staff accounts and teams, managed by administrators."""
