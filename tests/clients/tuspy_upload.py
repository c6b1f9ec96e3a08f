"""Uploads files to Relais with tuspy (a tus client Relais did not write).

Usage: tuspy_upload.py ENDPOINT TOKEN [--stop-at BYTES] FILE...
Each file is sent in 2 MiB PATCHes with `Upload-Checksum: sha1`. With --stop-at, every
upload is interrupted at that offset, then resumed by a new uploader that knows only the
upload URL, as a script restarted after a crash would. Prints one JSON line per file.
"""
import json
import os
import sys

from tusclient import client


def main():
    args = sys.argv[1:]
    endpoint, token = args[0], args[1]
    stop_at = None
    rest = args[2:]
    if rest and rest[0] == "--stop-at":
        stop_at, rest = int(rest[1]), rest[2:]
    tus = client.TusClient(endpoint, headers={"Authorization": f"Bearer {token}"})
    for path in rest:
        name = os.path.basename(path)
        options = dict(chunk_size=2 * 1024 * 1024, metadata={"filename": name}, upload_checksum=True)
        uploader = tus.uploader(path, **options)
        if stop_at is not None and stop_at < uploader.get_file_size():
            uploader.upload(stop_at=stop_at)
            interrupted_at = uploader.offset
            # A fresh uploader: only the URL survived the "crash".
            uploader = tus.uploader(path, url=uploader.url, **options)
            resumed_from = uploader.get_offset()
        else:
            interrupted_at = resumed_from = None
        uploader.upload()
        print(json.dumps({"file": name, "url": uploader.url, "interrupted_at": interrupted_at, "resumed_from": resumed_from}), flush=True)


if __name__ == "__main__":
    main()
