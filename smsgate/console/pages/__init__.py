"""One module per console page: each reads through the services and renders a template."""
