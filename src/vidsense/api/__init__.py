"""The request/response layer: one module per resource family, each holding its request
models, their validation, the call into the services and its response models, as plain
functions over :class:`~vidsense.api.services.Services` and pydantic models.

::

    indexes    indexes, tasks, videos and their evidence, /health, signed media URLs
    assets     Twelve Labs' assets and indexed assets
    search     search, classify, logos
    writing    gist, summarize, generate, analyze (and its asynchronous tasks)
    openai     chat completions, models, files, artifacts (OpenAI and VLM Run shapes)
    vlmrun     video/generate, predictions, domains, schemas
    wire       the Wire base model, listings, validation, request bodies (Form, Upload)
    envelopes  which family a route belongs to, and its error envelope (written, read back)
    streams    the one SSE encoder and the one NDJSON encoder
    services   Services: the library and the services over it, made once

No web framework here: the server's routers only turn HTTP into these calls (and answers into
HTTP), and the in-process :class:`vidsense.Client` makes the same calls, so both faces answer
with the same models and raise the same errors.
"""
