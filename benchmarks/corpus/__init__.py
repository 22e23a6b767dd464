"""A labelled evaluation corpus of videos nobody here made by hand: see ``videos.py`` for what
is in it, ``spec.py`` for how a video is described and ``build.py`` for how it is rendered."""
