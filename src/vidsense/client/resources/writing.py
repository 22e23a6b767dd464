"""Grounded writing (``client.gist``, ``summarize``, ``ask``, ``analyze``): every time in an
answer comes from evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vidsense.api.wire import validated
from vidsense.api.writing import (
    Analysis,
    AnalyzeRequest,
    Generated,
    GenerateRequest,
    Gist,
    GistRequest,
    SummarizeRequest,
    Summary,
)
from vidsense.client._transport import Transport
from vidsense.errors import InvalidArgument


class Writing:
    """Gists, summaries (chapters, highlights), answers and schema-shaped analyses."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def gist(self, video_id: str, types: Sequence[str], *, citations: bool = False) -> Gist:
        body = {"video_id": video_id, "types": list(types), "include_citations": citations}
        return self._t.gist(validated(GistRequest, body))

    def summarize(
        self, video_id: str, type: str, *, prompt: str | None = None, citations: bool = False
    ) -> Summary:
        body = {"video_id": video_id, "type": type, "prompt": prompt or None}
        return self._t.summarize(
            validated(SummarizeRequest, {**body, "include_citations": citations})
        )

    def ask(self, video_id: str, prompt: str, *, citations: bool = False) -> Generated:
        body = {"video_id": video_id, "prompt": prompt, "include_citations": citations}
        return self._t.generate(validated(GenerateRequest, body))

    def analyze(
        self,
        video_id: str,
        prompt: str,
        *,
        schema: Mapping[str, Any] | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        citations: bool = False,
    ) -> Analysis:
        body: dict[str, Any] = {
            "video_id": video_id,
            "prompt": prompt,
            "start_time": start_time,
            "end_time": end_time,
            "include_citations": citations,
        }
        if schema is not None:
            if not isinstance(schema, Mapping):
                raise InvalidArgument(
                    f"schema must be a JSON object, got {type(schema).__name__}",
                    code="invalid_schema",
                    param="schema",
                )
            body["response_format"] = {"type": "json_schema", "json_schema": dict(schema)}
        return self._t.analyze(validated(AnalyzeRequest, body))
