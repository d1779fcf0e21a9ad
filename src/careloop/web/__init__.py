"""The server-rendered web UI: Jinja2 environment, layout, CSRF, shared partials and the app stylesheet.

Each domain's web.py holds its HTML routes; they call the same services as the JSON API."""
