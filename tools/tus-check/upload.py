"""Uploads one file to a Nimbus server with tuspy (5 MiB chunks, sha1 Upload-Checksum on
every chunk), storing the upload URL so that a later process resumes it. Prints one
JSON line.

    python3 upload.py ENDPOINT TOKEN FILE STORE NAME [stop-after-chunks N | terminate-after-chunks N | bad-checksum 0]

bad-checksum makes tuspy's own sha1 of every chunk wrong, and prints the status the
server refused the chunk with.
"""
import hashlib
import json
import sys

import requests
from tusclient import client
from tusclient.storage import filestorage


def main() -> int:
    endpoint, token, path, store, name = sys.argv[1:6]
    mode = sys.argv[6] if len(sys.argv) > 6 else None
    limit = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    tus = client.TusClient(endpoint, headers={"Authorization": f"Bearer {token}"})
    storage = filestorage.FileStorage(store)
    uploader = tus.uploader(
        path,
        chunk_size=5 * 1024 * 1024,
        metadata={"filename": name, "filetype": "application/octet-stream"},
        store_url=True,
        url_storage=storage,
        upload_checksum=True,
    )
    resumed_from = uploader.offset
    if mode == "bad-checksum":
        # tuspy computes the checksum from the bytes it reads; corrupt what it computes.
        uploader._BaseUploader__checksum_algorithm = lambda chunk: hashlib.sha1(b"not the chunk")  # noqa: SLF001
        try:
            uploader.upload_chunk()
        except Exception as e:  # tuspy raises on any non-2xx answer
            print(json.dumps({"refused": getattr(e, "status_code", None), "url": uploader.url}))
            return 0
        print(json.dumps({"refused": None, "url": uploader.url}))
        return 0
    if mode:
        for _ in range(limit):
            uploader.upload_chunk()
        if mode == "terminate-after-chunks":
            r = requests.delete(uploader.url, headers={"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"})
            print(json.dumps({"stopped": True, "terminated": r.status_code == 204, "url": uploader.url}))
        else:
            print(json.dumps({"stopped": True, "terminated": False, "url": uploader.url, "sent": uploader.offset}))
        return 0
    uploader.upload()
    print(json.dumps({"done": True, "url": uploader.url, "resumed_from": resumed_from}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
