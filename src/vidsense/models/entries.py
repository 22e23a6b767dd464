"""Imports every module that registers a model entry (one line each)."""
