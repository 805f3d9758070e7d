"""Repository-wide pytest configuration: shared fixtures (e.g. ``postgres_server``)."""

pytest_plugins = ["floe_core.testing.fixtures"]
