"""Reads for exports: a study's export jobs and the finished file of one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.core.files.storage import default_storage

from ratings.models import Export
from tasks.models import Study

CONTENT_TYPES = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}
ACTIVE_STATUSES = (Export.Status.PENDING, Export.Status.RUNNING)


def exports_for_study(*, study: Study, limit: int = 100) -> list[Export]:
    """The study's newest exports (with their study, for download links)."""
    return list(Export.objects.filter(study=study).select_related("study")[:limit])


def exports_running(exports: list[Export]) -> bool:
    """Whether any of these exports is still pending or running (the page then refreshes itself)."""
    return any(e.status in ACTIVE_STATUSES for e in exports)


def export_for_study(*, study: Study, export_id: int) -> Export | None:
    return Export.objects.filter(study=study, pk=export_id).select_related("study").first()


@dataclass(frozen=True)
class ExportFile:
    """A finished export's file, opened from storage, with the name and content type to serve it under."""

    handle: IO[bytes]
    filename: str
    content_type: str


def export_file(*, export: Export) -> ExportFile | None:
    """The finished file of an export (opened through default_storage), or None while it is not ready."""
    if export.status != Export.Status.DONE or not export.file or not default_storage.exists(export.file.name):
        return None
    name = export.file.name.rsplit("/", 1)[-1].split("-", 1)[-1]
    ext = "zip" if name.endswith(".zip") else export.file_type
    return ExportFile(
        handle=default_storage.open(export.file.name, "rb"),
        filename=name,
        content_type=CONTENT_TYPES.get(ext, "application/octet-stream"),
    )
