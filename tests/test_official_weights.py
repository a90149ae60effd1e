"""The authors' weights by name: fetched once through a mirror, verified, cached, shared between
processes; every failure says what to do. Nothing reaches the internet: the mirror is a folder
served on 127.0.0.1 ($MULTIVERSEG_WIDGET_MIRROR), holding files with the official keys and shapes
(random weights) in the official containers."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pooch
import pytest
import torch

import multiverseg_widget as mvw
from multiverseg_widget.cli import main
from multiverseg_widget.model import MultiverSegNet, Predictor, ScribblePromptUNet, official
from multiverseg_widget.model.device import cpu_computes_bf16
from multiverseg_widget.model.official import WeightsDownloadError, WeightsError

from .conftest import COMPAT

MVS = official.MULTIVERSEG_V1.name
SP = official.SCRIBBLEPROMPT_V1.name
V0 = official.MULTIVERSEG_V0.name


def _manifest(name: str) -> dict:
    return json.loads((COMPAT / f"{name}_state_dict_shapes.json").read_text())


def _torch_bytes(content: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(content, buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Path:
    """The mirror's folder: the three published files, official shapes, random weights."""
    folder = tmp_path_factory.mktemp("mirror")
    torch.manual_seed(0)
    for network, cls, name in (
        ("multiverseg_v1", MultiverSegNet, MVS),
        ("scribbleprompt_unet_v1", ScribblePromptUNet, SP),
    ):
        manifest = _manifest(network)
        state = cls(**manifest["_meta"]["config"]).state_dict()
        assert {k: list(v.shape) for k, v in state.items()} == manifest["state_dict"]
        torch.save({"model": state} if cls is MultiverSegNet else state, folder / name)
    os.link(folder / MVS, folder / V0)  # same layout as v1
    return folder


class Mirror:
    """``root`` over HTTP on 127.0.0.1, counting requests; ``faults`` replace a file's answer:
    "404", "short" (a Content-Length larger than the body) or the bytes to send instead."""

    def __init__(self, root: Path) -> None:
        self.root, self.requests, self.faults, self.delay = root, [], {}, 0.0
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                name = urllib.parse.unquote(self.path.split("?")[0].rsplit("/", 1)[-1])
                mirror.requests.append(name)
                fault, path = mirror.faults.get(name), mirror.root / name
                if fault == "404" or not path.is_file():
                    self.send_error(404)
                    return
                body = fault if isinstance(fault, bytes) else path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body) + (fault == "short") * 4096))
                self.end_headers()
                time.sleep(mirror.delay)
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/weights"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(official.CACHE_ENV, str(folder))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    return folder


@pytest.fixture()
def mirror(served, cache, monkeypatch):
    server = Mirror(served)
    monkeypatch.setenv(official.MIRROR_ENV, server.url)
    yield server
    server.close()


def _names(folder: Path) -> set[str]:
    """What a cache folder holds, lock files aside."""
    return {p.name for p in folder.iterdir() if not p.name.endswith(".lock")}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_call_downloads_verifies_records_and_loads(mirror, cache, served):
    model = mvw.load_model("official", device="auto", precision="auto")
    assert sorted(mirror.requests) == sorted([MVS, SP])
    assert _names(cache) == {MVS, SP, f"{MVS}.sha256.json", f"{SP}.sha256.json"}  # no .part
    for name in (MVS, SP):
        record = json.loads((cache / f"{name}.sha256.json").read_text())
        assert record["sha256"] == _sha256(served / name) == _sha256(cache / name)
        assert record["size"] == (served / name).stat().st_size
    assert sum(p.numel() for p in model.parameters()) == 18_903_297 + 3_991_882
    assert model.metadata["scribbleprompt_source"] == str(cache / SP)
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert model.device.type == "cpu"
        assert model.precision == ("bf16" if cpu_computes_bf16() else "fp32")


def test_a_second_process_loads_from_the_cache_without_a_request(mirror, cache):
    official.fetch("official")
    mirror.requests.clear()
    code = "import multiverseg_widget as mvw; print(mvw.load_model('official').metadata['source'])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(cache / MVS)
    assert mirror.requests == []


def test_two_processes_downloading_at_once_end_with_one_good_file(mirror, cache, served):
    mirror.delay = 1.0  # the first download is still under way when the second process asks
    code = "from multiverseg_widget.model import official; print(*official.fetch())"
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) for _ in "ab"]
    outputs = [run.communicate(timeout=120)[0].decode().split() for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert outputs[0] == outputs[1] == [str(cache / MVS), str(cache / SP)]
    assert sorted(mirror.requests) == sorted([MVS, SP])  # the waiting process downloaded nothing
    assert _names(cache) == {MVS, SP, f"{MVS}.sha256.json", f"{SP}.sha256.json"}
    assert _sha256(cache / MVS) == _sha256(served / MVS)


def _bad_body(case: str, served: Path) -> tuple[str, bytes, str]:
    """(file, body served instead, what the message says)."""
    if case == "html":
        return MVS, b"<!DOCTYPE html>\n<html><body>Sign in</body></html>", "web page"
    if case == "cut":
        return MVS, (served / MVS).read_bytes()[:-4096], "truncated or not a PyTorch"
    if case == "not torch":
        return SP, b"\x89PNG\r\n" + bytes(5000), "truncated or not a PyTorch"
    if case == "wrong shapes":
        small = MultiverSegNet(in_channels=[5, 2], encoder_blocks=[8] * 4)
        return MVS, _torch_bytes({"model": small.state_dict()}), "wrong shapes"
    return SP, _torch_bytes({"model": {"x": torch.zeros(1)}}), "laid out"


@pytest.mark.parametrize("case", ["html", "cut", "not torch", "wrong shapes", "wrong layout"])
def test_a_bad_file_is_refused_with_what_to_do_and_nothing_kept(case, mirror, cache, served):
    name, body, says = _bad_body(case, served)
    mirror.faults[name] = body
    with pytest.raises(WeightsError, match=says) as error:
        mvw.load_model("official")
    file = official.MULTIVERSEG_V1 if name == MVS else official.SCRIBBLEPROMPT_V1
    assert file.url in str(error.value) and str(cache / name) in str(error.value)
    assert not any(n.startswith((name, f".{name}")) for n in _names(cache))


def test_a_transfer_cut_short_keeps_nothing(mirror, cache):
    mirror.faults[MVS] = "short"
    with pytest.raises(WeightsDownloadError, match="broke off") as error:
        official.fetch("official")
    assert official.MULTIVERSEG_V1.url in str(error.value)
    assert _names(cache) == set()


def test_a_404_names_the_file_and_the_manual_way(mirror, cache):
    mirror.faults[SP] = "404"
    with pytest.raises(WeightsDownloadError, match="404") as error:
        mvw.load_model("official")
    message = str(error.value)
    assert official.SCRIBBLEPROMPT_V1.url in message and str(cache / SP) in message
    assert official.MULTIVERSEG_V1.url not in message  # that one arrived and stays
    assert _names(cache) == {MVS, f"{MVS}.sha256.json"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_is_one_message_with_both_urls_and_paths(cache, monkeypatch, capsys):
    monkeypatch.setenv(official.MIRROR_ENV, f"http://127.0.0.1:{_closed_port()}")
    start = time.monotonic()
    with pytest.raises(WeightsDownloadError, match="no connection") as error:
        mvw.load_model("official")
    assert time.monotonic() - start < official.TIMEOUT[0]
    for file in official.BUNDLES["official"]:
        assert file.url in str(error.value) and str(cache / file.name) in str(error.value)
    assert main(["weights", "download"]) == 2
    assert official.SCRIBBLEPROMPT_V1.url in capsys.readouterr().err
    assert not cache.exists() or _names(cache) == set()


def test_a_server_that_never_answers_times_out(cache, monkeypatch):
    with socket.socket() as listener:  # accepts connections (the backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        monkeypatch.setenv(official.MIRROR_ENV, f"http://127.0.0.1:{listener.getsockname()[1]}")
        monkeypatch.setattr(official, "TIMEOUT", (0.5, 0.5))
        start = time.monotonic()
        with pytest.raises(WeightsDownloadError, match="no answer"):
            official.fetch("official")
        assert time.monotonic() - start < 5


def test_a_file_changed_after_the_first_download_is_refused(mirror, cache, capsys):
    official.fetch("official")
    with open(cache / MVS, "r+b") as f:
        f.seek(1_000_000)
        byte = f.read(1)
        f.seek(1_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(WeightsError, match="differs from") as error:
        mvw.load_model("official")
    assert f"{MVS}.sha256.json" in str(error.value)
    assert main(["weights", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"REFUSED  {MVS}" in out and f"ok       {SP}" in out


def test_a_new_upstream_file_is_reported_not_swapped_in(mirror, cache):
    official.fetch("official")
    (cache / SP).unlink()  # its record stays
    torch.manual_seed(1)
    other = ScribblePromptUNet(**_manifest("scribbleprompt_unet_v1")["_meta"]["config"])
    mirror.faults[SP] = _torch_bytes(other.state_dict())
    with pytest.raises(WeightsError, match="differs from"):
        official.fetch("official")
    assert SP not in _names(cache)


def test_files_saved_by_hand_are_checked_recorded_and_used(mirror, cache, served):
    cache.mkdir()
    for name in (MVS, SP):
        shutil.copy(served / name, cache / name)
    assert official.fetch("official") == (cache / MVS, cache / SP)
    assert mirror.requests == []
    assert json.loads((cache / f"{SP}.sha256.json").read_text())["source"] == "placed by hand"


def test_official_v0_shares_the_scribbleprompt_file(mirror, cache):
    official.fetch("official")
    assert official.fetch("official-v0") == (cache / V0, cache / SP)
    assert sorted(mirror.requests) == sorted([MVS, SP, V0])


def test_cache_and_mirror_variables(monkeypatch, tmp_path):
    monkeypatch.delenv(official.CACHE_ENV, raising=False)
    monkeypatch.delenv(official.MIRROR_ENV, raising=False)
    assert official.cache_dir() == Path(pooch.os_cache("multiverseg-widget"))
    url = official.source_url(official.MULTIVERSEG_V1)
    assert url.startswith("https://www.dropbox.com/") and url.endswith("dl=1")
    monkeypatch.setenv(official.CACHE_ENV, str(tmp_path / "c"))
    monkeypatch.setenv(official.MIRROR_ENV, "http://mirror.example/w/")
    assert official.cached_path(official.MULTIVERSEG_V1) == tmp_path / "c" / MVS
    assert official.source_url(official.MULTIVERSEG_V1) == f"http://mirror.example/w/{MVS}"


def test_weights_command(mirror, cache, capsys):
    assert main(["weights", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(cache)
    assert main(["weights", "path", "official"]) == 0
    assert capsys.readouterr().out.split() == [str(cache / MVS), str(cache / SP)]
    assert main(["weights", "verify"]) == 1
    assert capsys.readouterr().out.count("missing") == 2
    assert main(["weights", "download"]) == 0
    assert main(["weights", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.count("ok ") == 2 and _sha256(cache / MVS) in out
    assert main(["weights", "list"]) == 0
    assert f"{MVS} (cached)" in capsys.readouterr().out
    assert main(["weights", "verify", "nonsense"]) == 2


def test_bench_takes_the_names(mirror, capsys):
    assert main(["bench", "--checkpoint", "official", "--runs", "1", "--context", "0"]) == 0
    assert "device cpu" in capsys.readouterr().out or torch.cuda.is_available()


def test_auto_device_and_precision(small_nets):
    model = Predictor(*small_nets, device="auto", precision="auto")
    if torch.cuda.is_available():
        assert model.device.type == "cuda"
    elif torch.backends.mps.is_available():
        assert model.device.type == "mps" and model.precision == "fp32"
    else:
        assert model.device.type == "cpu"
        assert model.precision == ("bf16" if cpu_computes_bf16() else "fp32")
    assert Predictor(*small_nets, precision="fp32").precision == "fp32"  # asked for: kept


def test_cpu_bf16_is_read_from_the_cpu_flags(tmp_path):
    native = tmp_path / "native"
    native.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\n")
    emulated = tmp_path / "emulated"
    emulated.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512bw\n")
    assert cpu_computes_bf16(native) and not cpu_computes_bf16(emulated)
    assert not cpu_computes_bf16(tmp_path / "absent")  # not Linux: fp32
