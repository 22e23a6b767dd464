"""Routers of the library API; each route is a few lines over :class:`~vidsense.library.Library`."""
