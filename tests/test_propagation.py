"""Propagation at scale, with the real (small) networks: tasks carry file references, not pixels;
results reach the work folder as they arrive, and an interrupted propagate continues."""

from __future__ import annotations

import concurrent.futures
import contextlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from multiverseg_widget import Session
from multiverseg_widget.model import Predictor

from .session_helpers import single_torch_thread
from .test_error_messages import BAD_SLICE, nan_slice_volume


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with single_torch_thread():
        yield


@pytest.fixture
def png_folder(tmp_path, nuclei) -> Path:
    folder = tmp_path / "pngs"
    folder.mkdir()
    for k in range(12):
        Image.fromarray(nuclei["images"][k]).save(folder / f"{k:02d}.png")
    return folder


def _with_context(session: Session, nuclei) -> Session:
    for i in range(3):
        session.set_mask(nuclei["masks"][i])
        session.accept()
    return session


def _assert_same(result, expected) -> None:
    assert sorted(result.masks) == sorted(expected.masks)
    for i in expected.masks:
        np.testing.assert_array_equal(result.masks[i], expected.masks[i])
    assert dict(result.confidence) == pytest.approx(dict(expected.confidence))


def test_propagate_with_executors_equals_without(nuclei, small_predictor):
    distributed = pytest.importorskip("distributed")
    session = _with_context(
        Session(nuclei["images"][:12], model=small_predictor, max_context=2), nuclei
    )
    plain = session.propagate(progress=False)
    session.propagated = None  # else the next runs find every image predicted already
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as client:
        spread = session.propagate(executor=client.get_executor(), batch_size=2, progress=False)
    session.propagated = None
    with ThreadPoolExecutor(2) as pool:
        threaded = session.propagate(executor=pool, batch_size=1, progress=False)
    assert sorted(plain.masks) == list(range(3, 12))
    _assert_same(spread, plain)
    _assert_same(threaded, plain)


def test_an_interrupted_propagate_continues_where_it_stopped(
    tmp_path, png_folder, nuclei, small_predictor, monkeypatch
):
    reference = _with_context(Session(png_folder, model=small_predictor, max_context=2), nuclei)
    expected = reference.propagate(progress=False)
    work = tmp_path / "work"
    session = _with_context(
        Session(png_folder, model=small_predictor, workdir=work, max_context=2), nuclei
    )
    predict, calls = small_predictor.predict, []

    def interrupted_at_the_fifth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return predict(*args, **kwargs)

    monkeypatch.setattr(small_predictor, "predict", interrupted_at_the_fifth)
    with pytest.raises(KeyboardInterrupt):
        session.propagate(batch_size=2, progress=False)
    assert sorted(session.propagated.confidence) == [3, 4, 5, 6]  # two batches finished
    monkeypatch.undo()

    resumed = Session.resume(work, model=small_predictor)  # a new kernel
    assert sorted(resumed.propagated.confidence) == [3, 4, 5, 6]
    calls.clear()
    monkeypatch.setattr(
        small_predictor, "predict", lambda *a, **k: calls.append(1) or predict(*a, **k)
    )
    result = resumed.propagate(batch_size=2, progress=False)
    assert len(calls) == 5  # images 7 to 11 only
    _assert_same(result, expected)
    written = resumed.export(tmp_path / "out", include_propagated=True)  # read from the folder
    assert len(written) == 12 + 1  # and the manifest
    exported = np.asarray(Image.open(tmp_path / "out" / "07.png")) > 0
    np.testing.assert_array_equal(exported, expected.masks[7])
    resumed.click(30, 30)  # a new context set: the old propagation's folder goes
    resumed.accept()
    resumed.propagate(progress=False)
    assert len(list((work / "propagation").iterdir())) == 1


@pytest.mark.usefixtures("quick_adaptation")
def test_a_propagation_is_not_taken_for_that_of_a_model_with_other_settings(
    tmp_path, png_folder, nuclei, small_nets, small_predictor, monkeypatch
):
    work = tmp_path / "work"
    session = _with_context(Session(png_folder, model=small_predictor, workdir=work), nuclei)
    plain = session.propagate(progress=False)
    plain_masks = {i: plain.masks[i] for i in plain.masks}  # its folder goes with a new one
    adapting = Predictor(*small_nets, adapt_to_context=True)
    resumed = Session.resume(work, model=adapting)
    predict, calls = adapting.predict, []
    monkeypatch.setattr(adapting, "predict", lambda *a, **k: calls.append(1) or predict(*a, **k))
    result = resumed.propagate(progress=False)
    assert len(calls) == 9 and result.key != plain.key  # every open image, predicted again
    assert any(not np.array_equal(result.masks[i], mask) for i, mask in plain_masks.items())


def test_a_cluster_propagate_sends_file_references_not_pixels(
    tmp_path, png_folder, nuclei, small_predictor
):
    distributed = pytest.importorskip("distributed")
    reference = _with_context(Session(png_folder, model=small_predictor, max_context=2), nuclei)
    expected = reference.propagate(progress=False)
    session = _with_context(
        Session(png_folder, model=small_predictor, workdir=tmp_path / "work", max_context=2),
        nuclei,
    )
    sent: list[tuple] = []

    class Recording(concurrent.futures.Executor):
        def __init__(self, inner: concurrent.futures.Executor) -> None:
            self.inner = inner

        def submit(self, fn, /, *args, **kwargs):
            sent.append(args)
            return self.inner.submit(fn, *args, **kwargs)

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = session.propagate(
            executor=Recording(client.get_executor()), batch_size=3, progress=False
        )
    arrays = [leaf for args in sent for leaf in _leaves(args) if isinstance(leaf, np.ndarray)]
    assert len(sent) == 3 and not arrays
    _assert_same(result, expected)


def _leaves(value):
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def test_sessions_of_other_images_do_not_share_a_prepared_context(nuclei, small_predictor):
    """A process keeps the context set it prepared last, by key: the key names the images."""
    mask = nuclei["masks"][0]
    first = Session(nuclei["images"][:3], model=small_predictor)
    second = Session(nuclei["images"][3:6], model=small_predictor)
    for session in (first, second):
        session.set_mask(mask)  # the same mask on the same image index: other images
        session.accept()
        session.propagate(progress=False)
    images = nuclei["images"]
    direct = small_predictor.predict(images[4], context=[(images[3], mask)])
    np.testing.assert_array_equal(second.propagated.masks[1], direct.mask)


@pytest.mark.parametrize("threads", [0, 2])
def test_propagate_and_suggest_skip_a_nan_slice_and_name_it(
    tmp_path, nuclei, small_predictor, threads
):
    path = nan_slice_volume(tmp_path, nuclei)
    session = Session(path, model=small_predictor, workdir=tmp_path / "work")
    _with_context(session, nuclei)  # slices 0 to 2
    named = rf"image {BAD_SLICE} \(ct_00{BAD_SLICE}\): slice {BAD_SLICE} \(axis 0\) of {path}"
    pool = ThreadPoolExecutor(threads) if threads else contextlib.nullcontext()
    warned = pytest.warns(UserWarning, match=rf"propagate skipped 1 image\(s\).*{named}")
    with pool as executor, warned:
        result = session.propagate(executor=executor, batch_size=2, progress=False)
    assert sorted(result.masks) == [4, 5] and list(result.skipped) == [BAD_SLICE]
    assert "NaN" in session.propagated.skipped[BAD_SLICE]
    session.propagated = None  # suggest_next predicts the open images itself
    with pytest.warns(UserWarning, match="propagate skipped 1"):
        assert session.suggest_next() in (4, 5)


def test_propagate_skips_a_damaged_image_file_and_predicts_the_rest(
    png_folder, nuclei, small_predictor
):
    session = _with_context(Session(png_folder, model=small_predictor), nuclei)
    (png_folder / "07.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")  # read when predicted
    with pytest.warns(UserWarning, match=r"image 7 \(07\): .*07.png cannot be read"):
        result = session.propagate(progress=False)
    assert sorted(result.masks) == [3, 4, 5, 6, 8, 9, 10, 11] and list(result.skipped) == [7]
