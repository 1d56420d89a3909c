"""The CSV renderer of every CSV API answer, built on the one CSV writer (`ratings.services.exports.csv_lines`)."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer

from ratings.services.exports import csv_dict_rows


class CSVRenderer(BaseRenderer):
    """A list of flat dicts as CSV (header = the union of their keys); an error body as message,code."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        rows = data if isinstance(data, list) else [data]
        if rows and isinstance(rows[0], dict) and {"message", "code"} <= rows[0].keys() and len(rows) == 1:
            rows = [{"message": rows[0]["message"], "code": rows[0]["code"]}]
        return csv_dict_rows([row for row in rows if isinstance(row, dict)])


JSON_OR_CSV = [JSONRenderer, CSVRenderer]


def csv_wanted(request: Any) -> bool:
    """Whether the client asked for CSV (``?format=csv`` or ``Accept: text/csv``)."""
    return getattr(request.accepted_renderer, "format", "") == "csv"
