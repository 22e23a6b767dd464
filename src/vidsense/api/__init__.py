"""The request/response layer: one module per resource family, each holding its request
models, their validation, the call into the services and its response models, as plain
functions over :class:`~vidsense.api.services.Services` and pydantic models.

::

    indexes    indexes, tasks, videos and their evidence, /health, signed media URLs
    search     search, classify, logos
    people     people (faces grouped per index) and similar videos
    writing    gist, summarize, generate, analyze
    openai     chat completions, models, files, artifacts
    vlmrun     video/generate, predictions, domains
    wire       the Wire base model, listings, validation, request bodies (Form, Upload)
    envelopes  the two error envelopes, written and read back
    streams    the one SSE encoder and the one NDJSON encoder
    services   Services: the library and the services over it, made once

No web framework here: the server's routers only turn HTTP into these calls (and answers into
HTTP), and the in-process :class:`vidsense.Client` makes the same calls, so both faces answer
with the same models and raise the same errors.
"""
