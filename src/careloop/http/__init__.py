"""HTTP plumbing shared by the JSON API and the web UI: the request boundary, authentication, errors."""
