"""A desk download against the CLI's export of the same thing: the same bytes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx


def assert_download_is_the_export(downloaded: httpx.Response, exported: Path, filename: str) -> None:
    assert downloaded.status_code == 200
    assert f'filename="{filename}"' in downloaded.headers["content-disposition"]
    if not filename.endswith(".xlsx"):
        assert downloaded.content == exported.read_bytes()
        return
    # A workbook records when it was written (docProps/core.xml); every other part must be the same bytes.
    with zipfile.ZipFile(io.BytesIO(downloaded.content)) as web, zipfile.ZipFile(exported) as cli:
        assert sorted(web.namelist()) == sorted(cli.namelist())
        for part in web.namelist():
            if part != "docProps/core.xml":
                assert web.read(part) == cli.read(part), part
