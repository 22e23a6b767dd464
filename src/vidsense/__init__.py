"""vidsense: self-hosted video understanding.

Perception computes time, language only writes: every timestamp vidsense returns comes from
shot boundaries, speech word times, on-screen text sightings or audio events.
"""

__version__ = "0.1.0"
