"""Making videos: renders of timeline specs as durable jobs, the edits users ask for (reels,
subtitles, vertical reframes, speed, GIFs, concatenation, slideshows, watermarks), and videos
generated from a prompt (OpenAI's Videos API shape, with pluggable generators).

::

    Sources        names a spec may use -> local files (video ids, file ids, earlier outputs,
                   allow-listed fonts; paths only in-process)
    edits          an edit's parameters -> a RenderSpec (reel, subtitles, reframe, ...)
    Renders        POST /v1/renders and /v1/edits/*: checked at once, rendered by a job
    generators     storyboard (offline, built in) | openai (any compatible endpoint)
    Videos         POST /v1/videos: a job that runs the configured generator

Everything is rendered by :func:`vidsense.media.render.render` and probed afterwards.
"""
