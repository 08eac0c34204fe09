"""Reading uploaded photos with a hard size limit, before anything is decoded."""

from __future__ import annotations

from fastapi import HTTPException, UploadFile


async def read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    """The upload's bytes, or 413 as soon as it is larger than `max_bytes`."""
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise HTTPException(
            status_code=413, detail=f"the photo is larger than {max_bytes // (1024 * 1024)} MB"
        )
    return data


def read_limited_file(upload: UploadFile, max_bytes: int) -> bytes:
    """`read_limited` for a `def` route (FastAPI runs it in the thread pool)."""
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise HTTPException(
            status_code=413, detail=f"the photo is larger than {max_bytes // (1024 * 1024)} MB"
        )
    return data
