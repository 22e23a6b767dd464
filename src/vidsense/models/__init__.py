"""Models, found offline: see :mod:`vidsense.models.base` and :mod:`vidsense.models.registry`."""
