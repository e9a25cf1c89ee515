"""janitor: an async, parallel cleaner for package-manager caches."""

__version__ = "0.1.0"
