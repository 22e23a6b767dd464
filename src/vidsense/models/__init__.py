"""Models, found and loaded offline: see :mod:`vidsense.models.base` and
:mod:`vidsense.models.registry`."""
