"""The landing zone on S3-compatible object storage (SeaweedFS in production).

One bucket, the three areas as top-level prefixes (optionally under a root prefix):
`s3://<bucket>[/<root>]/landing/...`, `.../archive/...`, `.../quarantine/...`, so originals never
leave the store they were delivered to. Keys and return values are the same as those of
`LocalLandingZone` (local.py); locations are `s3://bucket/<area>/<key>` URLs.

Configuration (read by `S3LandingZone.from_url`, used when the store is an s3:// URL):
- `INFOPOSITIE_S3_ENDPOINT`  the S3 endpoint, e.g. `http://seaweedfs-s3:8333`. When unset, boto3's own
  `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` apply, and otherwise AWS itself.
- `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`  the identity (the platform's, for the pipeline;
  a partner identity may only write under its own landing prefix, see s3_policies.py beside this file).
- `AWS_DEFAULT_REGION` (optional, default `us-east-1`; SeaweedFS ignores it but signatures need one).
Addressing is path-style (`http://host:port/bucket/key`): no wildcard DNS needed.
"""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import PurePosixPath
from typing import Any, NoReturn
from urllib.parse import urlparse

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from config import Env
from ingest.landing.zone import AREAS, Area

# Above this a single CopyObject is refused by S3; the managed copy switches to multipart there.
SINGLE_COPY_LIMIT = 5 * 1024**3
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_DENIED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
_CHANGED = {"412", "PreconditionFailed"}


class LandingFileChanged(RuntimeError):
    """The landing object was replaced between reading and archiving it."""


def s3_client(endpoint_url: str | None = None, access_key_id: str | None = None,
              secret_access_key: str | None = None) -> Any:
    config = Config(
        s3={"addressing_style": "path"},
        # Newer botocore adds CRC checksums by default; not every S3-compatible store accepts them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=120,
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or os.environ.get(Env.S3_ENDPOINT) or None,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        region_name=os.environ.get(Env.AWS_DEFAULT_REGION) or os.environ.get(Env.AWS_REGION) or "us-east-1",
        config=config,
    )


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _reraise(err: ClientError, what: str) -> NoReturn:
    """Raise what the local folder raises in the same case, so callers handle one set of errors."""
    code = _code(err)
    if code in _NOT_FOUND:
        raise FileNotFoundError(what) from err
    if code in _DENIED:
        raise PermissionError(f"{what}: {code} (the object store refused this identity)") from err
    if code in _CHANGED:
        raise LandingFileChanged(f"{what} changed while it was being archived; not moved") from err
    raise err


class S3LandingZone:
    def __init__(self, bucket: str, root: str = "", *, client: Any | None = None,
                 endpoint_url: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None) -> None:
        if not bucket or "/" in bucket:
            raise ValueError(f"not a bucket name: {bucket!r}")
        self.bucket = bucket
        root = root.strip("/")
        self.root = f"{root}/" if root else ""
        self.client = client or s3_client(endpoint_url, access_key_id, secret_access_key)
        # ETag of each landing object as it was read, so the archived copy is provably those bytes.
        self._read_etags: dict[str, str] = {}

    @classmethod
    def from_url(cls, location: str) -> S3LandingZone:
        """`s3://bucket` or `s3://bucket/root/prefix`; endpoint and keys from the environment."""
        parsed = urlparse(location)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"not an s3://bucket[/prefix] URL: {location!r}")
        return cls(parsed.netloc, parsed.path)

    # -- keys --------------------------------------------------------------------------------
    def _object_key(self, key: str, area: Area) -> str:
        if area not in AREAS:
            raise ValueError(f"unknown area: {area!r}")
        parts = key.split("/")
        # The local folder refuses keys that leave their area; an object store would silently
        # normalise `a//b` or refuse `..`, so refuse them the same way here, before any request.
        if not key or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"key outside the {area} area: {key!r}")
        return f"{self.root}{area}/{key}"

    def _area_prefix(self, area: Area) -> str:
        return f"{self.root}{area}/"

    def location(self, key: str, area: Area = "landing") -> str:
        return f"s3://{self.bucket}/{self._object_key(key, area)}"

    # -- the LandingZone protocol ------------------------------------------------------------
    def waiting(self, prefix: str = "") -> list[str]:
        if prefix.startswith("/") or ".." in prefix.split("/"):
            raise ValueError(f"prefix outside the landing area: {prefix!r}")
        base = self._area_prefix("landing")
        keys: list[str] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base + prefix):
                for obj in page.get("Contents", []):
                    key = obj["Key"][len(base):]
                    name = PurePosixPath(key).name
                    # Folder markers (`x/`) made by some upload tools, and hidden files, are not deliveries.
                    if key and not key.endswith("/") and not name.startswith("."):
                        keys.append(key)
        except ClientError as err:
            _reraise(err, f"s3://{self.bucket}/{base}{prefix}")
        return sorted(keys)

    def size(self, key: str, area: Area = "landing") -> int:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._object_key(key, area))["ContentLength"]
        except ClientError as err:
            _reraise(err, self.location(key, area))

    def read(self, key: str, area: Area = "landing") -> bytes:
        object_key = self._object_key(key, area)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=object_key)
        except ClientError as err:
            _reraise(err, self.location(key, area))
        with response["Body"] as body:
            data = body.read()
        if area == "landing":
            self._read_etags[key] = response["ETag"]
        return data

    def put(self, key: str, data: bytes, area: Area = "landing") -> str:
        object_key = self._object_key(key, area)
        # Content-MD5 makes the store refuse a body damaged on the way instead of keeping it.
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        try:
            self.client.put_object(Bucket=self.bucket, Key=object_key, Body=data, ContentMD5=md5)
        except ClientError as err:
            _reraise(err, self.location(key, area))
        if area == "landing":
            self._read_etags.pop(key, None)
        return self.location(key, area)

    def move(self, key: str, area: Area, dest_key: str) -> str:
        """Server-side copy, check, then delete: the bytes never pass through this process."""
        src, dest = self._object_key(key, "landing"), self._object_key(dest_key, area)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=src)
            expected = self._read_etags.pop(key, None)
            if expected is not None and head["ETag"] != expected:
                # A partner replaced the file after we read it: archiving it now would keep bytes
                # that were never loaded. Leave it in landing; the next run treats it as a new delivery.
                raise LandingFileChanged(f"{self.location(key)} changed after it was read; not moved")
            source = {"Bucket": self.bucket, "Key": src}
            if head["ContentLength"] <= SINGLE_COPY_LIMIT:
                self.client.copy_object(Bucket=self.bucket, Key=dest, CopySource=source,
                                        CopySourceIfMatch=head["ETag"], MetadataDirective="COPY")
            else:
                self.client.copy(source, self.bucket, dest, Config=TransferConfig(use_threads=False))
            copied = self.client.head_object(Bucket=self.bucket, Key=dest)
            if copied["ContentLength"] != head["ContentLength"] or (
                    "-" not in head["ETag"] and "-" not in copied["ETag"] and copied["ETag"] != head["ETag"]):
                raise OSError(f"copy of {self.location(key)} to {self.location(dest_key, area)} differs; "
                              "the original stays in landing")
            self.client.delete_object(Bucket=self.bucket, Key=src)
        except ClientError as err:
            _reraise(err, self.location(key))
        return self.location(dest_key, area)

    def exists(self, key: str, area: Area = "landing") -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object_key(key, area))
        except ClientError as err:
            if _code(err) in _NOT_FOUND:
                return False
            _reraise(err, self.location(key, area))
        return True

    def delete(self, key: str, area: Area) -> bool:
        object_key = self._object_key(key, area)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=object_key)
        except ClientError as err:
            if _code(err) in _NOT_FOUND:
                return False
            _reraise(err, self.location(key, area))
        if area == "landing":
            expected = self._read_etags.pop(key, None)
            if expected is not None and head["ETag"] != expected:
                raise LandingFileChanged(f"{self.location(key)} changed after it was read; not removed")
        try:
            self.client.delete_object(Bucket=self.bucket, Key=object_key)
        except ClientError as err:
            _reraise(err, self.location(key, area))
        return True

    def key_for(self, location: str) -> tuple[Area, str]:
        for area in AREAS:
            prefix = f"s3://{self.bucket}/{self._area_prefix(area)}"
            if location.startswith(prefix) and len(location) > len(prefix):
                return area, location[len(prefix):]
        raise ValueError(f"not a location in this store: {location}")

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self._area_prefix('landing')}"

    # -- deployment ----------------------------------------------------------------------------
    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (needs the platform identity)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as err:
            if _code(err) not in _NOT_FOUND | {"NoSuchBucket"}:
                _reraise(err, f"s3://{self.bucket}")
        try:
            self.client.create_bucket(Bucket=self.bucket)
        except ClientError as err:
            if _code(err) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
