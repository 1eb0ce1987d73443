"""The operator console: server-rendered pages under /console/ on the services the API uses."""
