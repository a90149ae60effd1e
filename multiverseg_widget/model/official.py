"""The authors' published weights: fetched once into a per-user cache, verified before every use.

The only network code of the package. A download goes to a temp file, is checked (no web page,
a complete torch file, the official keys and shapes) and only then renamed into place, under a
file lock, so that two kernels starting at once end with one good file. The SHA-256 and size of
the first good file are recorded beside it; a file that later differs is refused, never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock
import pooch

from ..common.atomic import atomic_write_json, fsync_dir, make_dir
from ..common.logs import package_logger
from .official_check import WeightsError, check_official_file

log = package_logger(__name__)

CACHE_ENV = "MULTIVERSEG_WIDGET_CACHE"
MIRROR_ENV = "MULTIVERSEG_WIDGET_MIRROR"
TIMEOUT = (10.0, 60.0)  # seconds to connect, and to wait for each read: offline fails fast
LOCK_TIMEOUT = 3600.0  # how long to wait for another process's download
CHUNK = 1 << 20


@dataclass(frozen=True)
class WeightFile:
    """One published file: its name (also its name in the cache and on a mirror) and URL."""

    name: str
    url: str
    network: str  # "multiverseg" (state dict under "model") or "scribbleprompt" (bare)


# From halleewong/MultiverSeg checkpoints/download.sh (v1, ScribblePrompt) and
# dalcalab/SlicerMultiverSeg InstallLogic.py (v0); dl=1 makes Dropbox send the file itself.
MULTIVERSEG_V1 = WeightFile(
    "MultiverSeg_v1_nf256_res128.pt",
    "https://www.dropbox.com/scl/fi/pcf7kgz87bqfrathbri63/MultiverSeg_v1_nf256_res128.pt"
    "?rlkey=j646jh2b1wocvptpeascrzrt0&dl=1",
    "multiverseg",
)
MULTIVERSEG_V0 = WeightFile(
    "MultiverSeg_v0_nf256_res128.pt",
    "https://www.dropbox.com/scl/fi/5sup9s5l9xkp28wbwkm9g/MultiverSeg_v0_nf256_res128.pt"
    "?rlkey=tquwxhezdgl2v8a2akvco5jim&st=1gnbqplc&dl=1",
    "multiverseg",
)
SCRIBBLEPROMPT_V1 = WeightFile(
    "ScribblePrompt_unet_v1_nf192_res128.pt",
    "https://www.dropbox.com/scl/fi/pnw88n05irnv5z1snlklr/ScribblePrompt_unet_v1_nf192_res128.pt"
    "?rlkey=dr8xvkf0wj2r082h1zzpcmz5o&dl=1",
    "scribbleprompt",
)
# name -> (MultiverSeg file, ScribblePrompt file), as load_model(name) takes them
BUNDLES: dict[str, tuple[WeightFile, WeightFile]] = {
    "official": (MULTIVERSEG_V1, SCRIBBLEPROMPT_V1),  # ICCV 2025
    "official-v0": (MULTIVERSEG_V0, SCRIBBLEPROMPT_V1),  # arXiv 2024, what SlicerMultiverSeg uses
}


class WeightsDownloadError(OSError):
    """A download that could not finish (offline, refused, 404, cut off); nothing was kept."""


def bundle(name: str) -> tuple[WeightFile, WeightFile]:
    """The two files of ``name`` ("official" or "official-v0")."""
    if name not in BUNDLES:
        raise ValueError(f"unknown weights {name!r}; choose one of {', '.join(BUNDLES)}")
    return BUNDLES[name]


def cache_dir() -> Path:
    """$MULTIVERSEG_WIDGET_CACHE, else the platform's per-user cache folder."""
    override = os.environ.get(CACHE_ENV)
    return Path(override).expanduser() if override else Path(pooch.os_cache("multiverseg-widget"))


def cached_path(file: WeightFile) -> Path:
    """Where ``file`` lives in the cache (and where to save it by hand)."""
    return cache_dir() / file.name


def record_path(path: Path) -> Path:
    """Where the SHA-256 and size of the first good file at ``path`` are kept."""
    return path.with_name(path.name + ".sha256.json")


def source_url(file: WeightFile) -> str:
    """The mirror's copy when $MULTIVERSEG_WIDGET_MIRROR is set (files by name), else upstream."""
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        return f"{mirror.rstrip('/')}/{urllib.parse.quote(file.name)}"
    return file.url


def fetch(name: str = "official") -> tuple[Path, Path]:
    """The verified (MultiverSeg, ScribblePrompt) files of ``name``, downloaded once if missing.

    Raises WeightsDownloadError (one message: why, and each missing file's URL and the exact path
    to save it at) or WeightsError (a file that is not the official one)."""
    files = bundle(name)
    try:
        mvs, sp = (ensure(f) for f in files)
    except WeightsDownloadError as error:
        missing = [f for f in files if not cached_path(f).is_file()]
        raise WeightsDownloadError(f"{error}\n{manual_instructions(missing)}") from None
    return mvs, sp


def ensure(file: WeightFile) -> Path:
    """The cached file, verified, after downloading it if it is missing. One process downloads;
    the others wait on the lock and then verify what it wrote."""
    path = cached_path(file)
    make_dir(path.parent)
    lock = filelock.FileLock(f"{path}.lock")
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        log.info(f"waiting for another process to finish {path} ...")
        try:
            lock.acquire(timeout=LOCK_TIMEOUT)
        except filelock.Timeout:
            raise WeightsDownloadError(
                f"{path}.lock was held for {LOCK_TIMEOUT:.0f} s; if no other process is "
                "downloading, delete the lock file and try again"
            ) from None
    try:
        if path.is_file():
            verify(file, path)
        else:
            _download(file, path)
    finally:
        lock.release()
    return path


def verify(file: WeightFile, path: Path, full: bool = False) -> str:
    """Refuse ``path`` unless it is the recorded file (SHA-256 and size), or, with no record yet,
    the official file (checked, then recorded). ``full`` checks the content even when recorded.
    Returns the SHA-256."""
    digest, size = file_digest(path)
    if _matches_record(file, path, digest, size, str(path)):
        if full:
            check_file(file, path, str(path))
        return digest
    check_file(file, path, str(path))  # e.g. saved there by hand
    _write_record(path, digest, size, "placed by hand")
    return digest


def check_file(file: WeightFile, path: Path, what: str) -> None:
    """``official_check.check_official_file`` with this file's fix in its messages."""
    check_official_file(path, file.network, what, how_to_fix(file))


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def read_record(path: Path) -> dict[str, Any] | None:
    """The record of the first good file at ``path``, or None when there is none yet."""
    record = record_path(path)
    if not record.is_file():
        return None
    try:
        data = json.loads(record.read_text())
        return {**data, "sha256": str(data["sha256"]), "size": int(data["size"])}
    except (ValueError, KeyError, TypeError):
        raise WeightsError(f"{record} is unreadable; delete it to record {path} afresh") from None


def how_to_fix(file: WeightFile) -> str:
    """The two ways to the right file: by hand (URL and exact path) or the command."""
    path = cached_path(file)
    return (
        f"Download {file.url} by hand (a browser works) and save it as {path}, or run "
        f"`multiverseg-widget weights download {_bundle_of(file)}`."
    )


def manual_instructions(files: list[WeightFile]) -> str:
    """What to do without a network: each file's URL and the exact path to save it at."""
    lines = ["Download these files by hand and save each at the path shown:"]
    for file in files:
        lines += [f"  {file.url}", f"    -> {cached_path(file)}"]
    lines.append(f"or set {MIRROR_ENV} to a URL prefix that serves them by name.")
    return "\n".join(lines)


def _bundle_of(file: WeightFile) -> str:
    return next(name for name, files in BUNDLES.items() if file in files)


def _matches_record(file: WeightFile, path: Path, digest: str, size: int, what: str) -> bool:
    """True when ``path`` has a record and the file is the recorded one; raises if it differs."""
    record = read_record(path)
    if record is None:
        return False
    if (record["sha256"], record["size"]) != (digest, size):
        raise WeightsError(
            f"{what} differs from the {file.name} first recorded at {record.get('time', '?')} "
            f"(sha256 {record['sha256']}, {record['size']} bytes; now sha256 {digest}, {size} "
            f"bytes), so it is not used. If the new file is meant, delete "
            f"{record_path(path)} to accept it; otherwise delete {path} and run "
            f"`multiverseg-widget weights download {_bundle_of(file)}`."
        )
    return True


def _write_record(path: Path, digest: str, size: int, source: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    record = {"file": path.name, "sha256": digest, "size": size, "source": source, "time": stamp}
    atomic_write_json(record_path(path), record)


def _download(file: WeightFile, path: Path) -> None:
    """Download into a temp file beside ``path``, check it, and only then rename it into place."""
    url = source_url(file)
    fd, name = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        log.info(f"Downloading {file.name} from {url}\n  to {path}")
        _transfer(url, tmp)
        what = f"the file downloaded from {url}"
        check_file(file, tmp, what)
        digest, size = file_digest(tmp)
        recorded = _matches_record(file, path, digest, size, what)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
        if not recorded:
            _write_record(path, digest, size, url)
    finally:
        tmp.unlink(missing_ok=True)


def _transfer(url: str, target: Path) -> None:
    """pooch's HTTP downloader (progress bar, timeouts), its errors said in one sentence."""
    import requests  # pooch's own HTTP client

    downloader = pooch.HTTPDownloader(progressbar=True, chunk_size=CHUNK, timeout=TIMEOUT)
    try:
        downloader(url, str(target), None)
    except requests.HTTPError as err:
        response = err.response  # set by raise_for_status, which is where pooch raises it
        answer = str(err) if response is None else f"HTTP {response.status_code} {response.reason}"
        raise WeightsDownloadError(f"{url} answered {answer}; nothing was saved") from None
    except requests.Timeout:
        raise WeightsDownloadError(
            f"no answer from {url} within {TIMEOUT[0]:g} s to connect / {TIMEOUT[1]:g} s "
            "per read (offline, or a firewall?); nothing was saved"
        ) from None
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        received = target.stat().st_size
        reason = (
            f"the transfer broke off after {received} bytes"
            if received
            else "no connection (offline, or the host refused it)"
        )
        raise WeightsDownloadError(f"could not download {url}: {reason}; nothing saved") from None
    except requests.RequestException as err:
        raise WeightsDownloadError(
            f"the download from {url} failed ({type(err).__name__}); nothing was saved"
        ) from None
