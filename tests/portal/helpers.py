"""Small helpers for portal tests."""

from django.core.files.uploadedfile import SimpleUploadedFile


def upload(name="screenshot.png", content=b"\x89PNG fake image bytes", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
