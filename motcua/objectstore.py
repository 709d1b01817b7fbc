"""Where the center keeps bytes: one small interface, a local folder or S3-compatible storage.

Scans, their chunks on the way, held parcels and the pieces of resumable uploads are objects named
by keys like `blobs/ab/abcdef…` or `held/07001/000000000000042_<sha>.mcp`. With the folder (the
default) a key is a path under the data dir, written tmp → fsync → rename, so the files lie where
they always lay. With S3 (SeaweedFS, MinIO, a cloud) every center process behind a load balancer
sees the same objects, which is what lets several processes take one point's uploads in turn.
Objects are written whole and never appended to; what grows (an upload) grows by new objects.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from motcua.files import TMP_GLOB, write_durably

_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}){0,7}")


class StoreUnavailable(RuntimeError):
    """The store did not answer (a down object store, a full or read-only folder)."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: float          # seconds since the epoch (for sweeping what was abandoned)


def check_key(key: str) -> str:
    """A key is up to 8 `/`-separated names of letters, digits, `._-`, none starting with a dot:
    never a way out of the folder. :raises ValueError."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"not an object key: {str(key)[:120]!r}")
    return key


class ObjectStore:
    """put/get/stat/delete/list by prefix; `check` for /healthz. Implementations below."""

    description = "?"

    def put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        """:raises FileNotFoundError: no such object."""
        raise NotImplementedError

    def stat(self, key: str) -> ObjectInfo | None:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Delete one object; deleting what is not there is not an error."""
        raise NotImplementedError

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix`, in key order."""
        raise NotImplementedError

    def delete_prefix(self, prefix: str) -> int:
        gone = 0
        for info in list(self.list(prefix)):
            self.delete(info.key)
            gone += 1
        return gone

    def has(self, key: str) -> bool:
        return self.stat(key) is not None

    def check(self) -> None:
        """Write, read and delete a probe object. :raises StoreUnavailable."""
        import secrets
        key = f"health/{os.getpid()}-{secrets.token_hex(6)}"
        try:
            self.put(key, b"ok")
            if self.get(key) != b"ok":
                raise StoreUnavailable(f"{self.description}: probe read back wrong")
            self.delete(key)
        except StoreUnavailable:
            raise
        except Exception as exc:
            raise StoreUnavailable(f"{self.description}: {type(exc).__name__}: {exc}") from exc


class FolderStore(ObjectStore):
    """Objects as files under `root` (key `a/b/c` is `root/a/b/c`), written durably."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.description = f"folder {self.root}"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        for attempt in range(3):
            try:
                return write_durably(self._path(key), data)
            except FileNotFoundError:     # its empty folder removed by a delete meanwhile
                if attempt == 2:
                    raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def path(self, key: str) -> Path:
        """The file holding `key` (the officers' pages send it as it lies)."""
        return self._path(key)

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            st = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return ObjectInfo(key, st.st_size, st.st_mtime) if not _is_dir(st) else None

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # Empty folders left behind go too, up to the prefix's first level.
        parent = path.parent
        while parent != self.root and parent.parent != self.root:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        head, _, _ = prefix.rpartition("/")
        base = self.root / head if head else self.root
        if head:
            check_key(head)
        if not base.is_dir():
            return
        tmp = re.compile(TMP_GLOB.replace(".", r"\.").replace("*", ".*"))
        found = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if tmp.fullmatch(name):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    try:
                        st = path.stat()
                    except FileNotFoundError:
                        continue
                    found.append(ObjectInfo(key, st.st_size, st.st_mtime))
        yield from sorted(found, key=lambda i: i.key)


def _is_dir(st) -> bool:
    import stat
    return stat.S_ISDIR(st.st_mode)


class S3Store(ObjectStore):
    """Objects in one bucket of an S3-compatible service (boto3), under an optional key prefix."""

    def __init__(self, endpoint_url: str, bucket: str, *, access_key: str, secret_key: str,
                 region: str = "us-east-1", prefix: str = "", create_bucket: bool = True):
        import boto3
        from botocore.config import Config
        self.bucket, self.prefix = bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.description = f"s3 {endpoint_url}/{bucket}/{self.prefix}"
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url, aws_access_key_id=access_key,
            aws_secret_access_key=secret_key, region_name=region,
            config=Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=5,
                          read_timeout=30, max_pool_connections=32,
                          s3={"addressing_style": "path"}))
        if create_bucket:
            self._ensure_bucket()

    def _ensure_bucket(self) -> None:
        """Make the bucket if it is missing; a store that does not answer yet is not fatal here
        (the process starts, and /healthz says 503 until the store answers)."""
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except BotoCoreError as exc:
            import logging
            logging.getLogger(__name__).warning("object store %s not answering: %s",
                                                self.description, exc)
            return
        except ClientError:
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except ClientError as exc:       # made meanwhile by another process
                if "BucketAlready" not in str(exc):
                    raise

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, method: str, **kwargs):
        """One S3 call; a service that does not answer becomes StoreUnavailable (503 upstream)."""
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise FileNotFoundError(kwargs.get("Key", "")) from None
            raise StoreUnavailable(f"{self.description}: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(f"{self.description}: {exc}") from exc

    def put(self, key: str, data: bytes) -> None:
        self._call("put_object", Key=self._key(key), Body=bytes(data))

    def get(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError
        answer = self._call("get_object", Key=self._key(key))
        try:
            return answer["Body"].read()
        except BotoCoreError as exc:
            raise StoreUnavailable(f"{self.description}: {exc}") from exc

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            head = self._call("head_object", Key=self._key(key))
        except FileNotFoundError:
            return None
        return ObjectInfo(key, int(head["ContentLength"]), head["LastModified"].timestamp())

    def delete(self, key: str) -> None:
        try:
            self._call("delete_object", Key=self._key(key))
        except FileNotFoundError:
            pass

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        found, token = [], None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self._call("list_objects_v2", Prefix=self.prefix + prefix, **extra)
            for item in page.get("Contents", []):
                found.append(ObjectInfo(item["Key"][len(self.prefix):], int(item["Size"]),
                                        item["LastModified"].timestamp()))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        yield from sorted(found, key=lambda i: i.key)


def open_store(url: str | None, data_dir: str | os.PathLike, *, access_key: str = "",
               secret_key: str = "", region: str = "us-east-1") -> ObjectStore:
    """The store a setting names: empty or `folder` → the data dir itself; `folder:///path`;
    `s3://bucket/prefix?endpoint=http://127.0.0.1:8333` (keys from the arguments, else the
    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment).

    :raises ValueError: an unknown scheme or an S3 URL without an endpoint.
    """
    if not url or url == "folder":
        return FolderStore(data_dir)
    parsed = urlparse(url)
    if parsed.scheme == "folder":
        return FolderStore(parsed.path)
    if parsed.scheme == "s3":
        endpoint = (parse_qs(parsed.query).get("endpoint") or [""])[0]
        if not endpoint or not parsed.hostname:
            raise ValueError("s3 blob store needs s3://bucket[/prefix]?endpoint=http://host:port")
        return S3Store(endpoint, parsed.hostname, prefix=parsed.path,
                       access_key=access_key or os.environ.get("AWS_ACCESS_KEY_ID", "motcua"),
                       secret_key=secret_key or os.environ.get("AWS_SECRET_ACCESS_KEY", "motcua"),
                       region=region)
    raise ValueError(f"unsupported blob store {parsed.scheme!r} (folder or s3://bucket?endpoint=…)")
