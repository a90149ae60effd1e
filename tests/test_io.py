"""Reading datasets: every format round trip, volumes along an axis, DICOM series, bad files."""

from __future__ import annotations

import sys

import nibabel as nib
import numpy as np
import pydicom
import pytest
import tifffile
from PIL import Image
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from multiverseg_widget import data as mvw_data

from .conftest import DATA


@pytest.fixture(scope="module")
def real() -> dict[str, np.ndarray]:
    with np.load(DATA / "demo" / "medscribble_HipXRay.npz") as f:
        return {"images": f["images"], "masks": f["masks"], "names": f["names"]}


def test_png_jpeg_folder_round_trip(tmp_path, real):
    for k in range(3):
        Image.fromarray(real["images"][k]).save(tmp_path / f"img{k}.png")
    Image.fromarray(np.stack([real["images"][3]] * 3, axis=-1)).save(tmp_path / "rgb.jpg")
    (tmp_path / "notes.txt").write_text("not an image")  # ignored in a folder
    (tmp_path / ".DS_Store").write_bytes(b"\0\1")
    data = mvw_data.load(tmp_path)
    assert data.names == ["img0", "img1", "img2", "rgb"]
    for k in range(3):
        np.testing.assert_array_equal(data.images[k], real["images"][k])
    assert data.images[3].shape == (256, 256, 3)  # JPEG is lossy: shape and closeness only
    assert np.abs(data.images[3][..., 0].astype(int) - real["images"][3]).mean() < 3
    assert data.slices == [None] * 4
    assert data.files == [
        str(tmp_path / n) for n in ["img0.png", "img1.png", "img2.png", "rgb.jpg"]
    ]


def test_palette_and_16bit_png(tmp_path):
    wide = (np.arange(64 * 48).reshape(48, 64) * 13).astype(np.uint16)
    Image.fromarray(wide).save(tmp_path / "deep.png")
    palette = Image.fromarray((np.arange(48 * 64).reshape(48, 64) % 4).astype(np.uint8), "P")
    palette.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
    palette.save(tmp_path / "palette.png")
    data = mvw_data.load([tmp_path / "deep.png", tmp_path / "palette.png"])
    np.testing.assert_array_equal(data.images[0], wide)
    assert data.images[1].shape == (48, 64, 4)


def test_tiff_16bit_multipage_and_rgb(tmp_path):
    deep = np.random.default_rng(0).integers(0, 65535, (40, 50), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "deep.tif", deep)
    stack = np.random.default_rng(1).integers(0, 4096, (3, 40, 50), dtype=np.uint16)
    with tifffile.TiffWriter(tmp_path / "stack.tiff") as tif:
        for page in stack:  # one page per slice, as microscopes write them
            tif.write(page, photometric="minisblack")
    rgb = np.random.default_rng(2).integers(0, 255, (40, 50, 3), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, photometric="rgb")
    data = mvw_data.load([tmp_path / "deep.tif", tmp_path / "stack.tiff", tmp_path / "rgb.tif"])
    assert data.names == ["deep", "stack_000", "stack_001", "stack_002", "rgb"]
    assert data.images[0].dtype == np.uint16
    np.testing.assert_array_equal(data.images[0], deep)
    for k in range(3):
        np.testing.assert_array_equal(data.images[1 + k], stack[k])
        assert data.slices[1 + k] == mvw_data.VolumeSlice(
            "stack", 0, k, (3, 40, 50), tuple(tuple(r) for r in np.eye(4))
        )
    np.testing.assert_array_equal(data.images[4], rgb)


def test_tiff_stack_along_another_axis(tmp_path):
    stack = np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5)
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")
    data = mvw_data.load(tmp_path / "stack.tif", axis=2)
    assert len(data) == 5
    np.testing.assert_array_equal(data.images[4], stack[:, :, 4])


def test_numpy_files(tmp_path, real):
    np.save(tmp_path / "one.npy", real["images"][0])
    np.save(tmp_path / "vol.npy", real["images"][:2])
    np.savez(tmp_path / "task.npz", images=real["images"][:2], names=real["names"][:2])
    np.savez(tmp_path / "loose.npz", a=real["images"][0], b=real["images"][1].astype(np.float32))
    data = mvw_data.load(tmp_path)
    assert data.names == [
        "loose_a",
        "loose_b",
        "one",
        str(real["names"][0]),
        str(real["names"][1]),
        "vol_000",
        "vol_001",
    ]
    np.testing.assert_array_equal(data.images[1], real["images"][1].astype(np.float32))
    np.testing.assert_array_equal(data.images[3], real["images"][0])
    assert data.slices[5].volume == "vol" and data.slices[6].index == 1


def test_nifti_along_axis(tmp_path):
    volume = np.random.default_rng(3).normal(size=(20, 30, 12)).astype(np.float32)
    affine = np.diag([0.8, 0.8, 2.5, 1.0])
    affine[:3, 3] = [-10, 5, 40]
    nib.save(nib.Nifti1Image(volume, affine), tmp_path / "ct.nii.gz")
    axial = mvw_data.load(tmp_path / "ct.nii.gz")  # NIfTI default: the last axis
    assert len(axial) == 12 and axial.images[0].shape == (20, 30)
    np.testing.assert_array_equal(axial.images[7], volume[:, :, 7])
    assert axial.names[7] == "ct_007"
    np.testing.assert_allclose(np.array(axial.slices[7].affine), affine)
    sagittal = mvw_data.load(tmp_path / "ct.nii.gz", axis=0)
    assert len(sagittal) == 20 and sagittal.images[3].shape == (30, 12)
    np.testing.assert_array_equal(sagittal.images[3], volume[3])
    with pytest.raises(ValueError, match="axis 3 does not fit"):
        mvw_data.load(tmp_path / "ct.nii.gz", axis=3)


def test_volumes_with_the_same_name_stay_apart(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        nib.save(
            nib.Nifti1Image(np.zeros((8, 8, 2), np.float32), np.eye(4)),
            tmp_path / folder / "ct.nii",
        )
    data = mvw_data.load([tmp_path / "a" / "ct.nii", tmp_path / "b" / "ct.nii"])
    assert [s.volume for s in data.slices] == ["ct", "ct", "ct-2", "ct-2"]
    assert data.names == ["ct_000", "ct_001", "ct-2_000", "ct-2_001"]


def _write_dicom_series(folder, rows=16, cols=20, n=4) -> np.ndarray:
    """n CT slices 2.5 mm apart, written in shuffled order; returns the volume in true order."""
    folder.mkdir()
    series, study = generate_uid(), generate_uid()
    volume = np.random.default_rng(4).integers(0, 2000, (n, rows, cols), dtype=np.uint16)
    for k in [2, 0, 3, 1]:
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = pydicom.Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = (
            meta.MediaStorageSOPClassUID,
            meta.MediaStorageSOPInstanceUID,
        )
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.Modality, ds.InstanceNumber = "CT", k + 1
        ds.ImagePositionPatient = [-50.0, -60.0, 10.0 + 2.5 * k]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [0.7, 0.9]
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        ds.Rows, ds.Columns = rows, cols
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.PixelData = volume[k].tobytes()
        pydicom.dcmwrite(folder / f"slice_{(k * 7) % 5}.dcm", ds, enforce_file_format=True)
    return volume


def test_dicom_series(tmp_path):
    volume = _write_dicom_series(tmp_path / "series1")
    data = mvw_data.load(tmp_path / "series1")
    assert data.names == [f"series1_{k:03d}" for k in range(4)]
    for k in range(4):  # sorted along the slice normal, rescaled to Hounsfield units
        np.testing.assert_array_equal(data.images[k], volume[k].astype(np.float32) - 1024)
    affine = np.array(data.slices[0].affine)
    # voxel (slice, row, column) -> RAS: LPS position of the first slice with x and y negated
    np.testing.assert_allclose(affine @ [0, 0, 0, 1], [50.0, 60.0, 10.0, 1])
    np.testing.assert_allclose(affine @ [3, 2, 1, 1], [50.0 - 0.9, 60.0 - 1.4, 17.5, 1])


def test_unreadable_files_named_or_skipped(tmp_path, real):
    Image.fromarray(real["images"][0]).save(tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    np.save(tmp_path / "c.npy", np.full((8, 8), np.nan))
    Image.fromarray(real["images"][1]).save(tmp_path / "d.png")
    with pytest.raises(mvw_data.UnreadableFileError, match="c.npy"):
        mvw_data.load(tmp_path)  # arrays are read on opening
    c_npy = tmp_path / "c.npy"
    c_npy.rename(tmp_path / "c.npy.aside")
    lazy = mvw_data.load(tmp_path)  # files of one image are read when reached
    assert lazy.names == ["a", "b", "d"]
    with pytest.raises(mvw_data.UnreadableFileError, match="b.png"):
        lazy.images[1]
    np.testing.assert_array_equal(lazy.images[2], real["images"][1])
    (tmp_path / "c.npy.aside").rename(c_npy)
    with pytest.warns(UserWarning, match="skipped 2 unreadable"):
        data = mvw_data.load(tmp_path, skip_bad=True)
    assert data.names == ["a", "d"]
    assert [f for f, _ in data.skipped] == [str(tmp_path / "b.png"), str(tmp_path / "c.npy")]
    assert "NaN" in data.skipped[1][1]
    assert data.files == [str(tmp_path / "a.png"), str(tmp_path / "d.png")]
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(mvw_data.UnreadableFileError, match="notes.txt: unsupported file type"):
        mvw_data.load([tmp_path / "a.png", tmp_path / "notes.txt"])
    with pytest.raises(ValueError, match="no such file"):
        mvw_data.load(tmp_path / "missing.png")


def test_arrays_of_different_sizes_and_stacks(real):
    small = real["images"][0][:100, :120]
    data = mvw_data.load([real["images"][1], small], names=["first", "second"])
    assert data.names == ["first", "second"] and data.images[1].shape == (100, 120)
    stack = mvw_data.load(real["images"][:3])
    assert len(stack) == 3 and stack.slices[2].index == 2 and stack.files == []
    single = mvw_data.load(real["images"][0])
    assert len(single) == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ([], "empty"),
        (np.zeros((4, 0, 5)), "empty"),
        ([np.full((8, 8), np.nan)], "NaN"),
        ([np.zeros((8, 8), dtype=complex)], "real-valued"),
        (np.zeros((2, 3, 4, 5, 6)), "shape"),
    ],
)
def test_bad_arrays(source, message):
    with pytest.raises(ValueError, match=message):
        mvw_data.load(source)


@pytest.mark.parametrize("name", ["../escape", "/abs", "a/b", "..", "", ".hidden", "a\\b"])
def test_hostile_names_rejected(name, real):
    with pytest.raises(ValueError, match="name"):
        mvw_data.load([real["images"][0]], names=[name])


def test_demo_dataset_is_inside_the_package(real):
    data = mvw_data.demo_dataset("medscribble_HipXRay")
    assert "shared" not in data.files[0]
    assert data.files[0].endswith("multiverseg_widget/data/demo_files/medscribble_HipXRay.npz")
    assert data.names == [str(n) for n in real["names"]]
    np.testing.assert_array_equal(np.stack(data.images), real["images"])
    np.testing.assert_array_equal(np.stack(data.masks), real["masks"].astype(bool))
    assert {len(mvw_data.demo_dataset(n)) for n in mvw_data.DEMO_NAMES} == {25, 5, 3}
    with pytest.raises(ValueError, match="unknown demo dataset"):
        mvw_data.demo_dataset("nope")


def test_missing_optional_reader_says_how_to_install(tmp_path, monkeypatch):
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 2), np.float32), np.eye(4)), tmp_path / "v.nii")
    monkeypatch.setitem(sys.modules, "nibabel", None)
    with pytest.raises(ImportError, match=r"multiverseg-widget\[io\]"):
        mvw_data.load(tmp_path / "v.nii")


def test_a_npy_volume_is_memory_mapped_not_read(tmp_path):
    volume = np.arange(5 * 6 * 7, dtype=np.float32).reshape(5, 6, 7)
    np.save(tmp_path / "vol.npy", volume)
    data = mvw_data.load(tmp_path / "vol.npy", axis=1)
    assert len(data) == 6 and all(isinstance(image, np.memmap) for image in data.images)
    np.testing.assert_array_equal(data.images[2], volume[:, 2, :])


def test_symlink_loops_and_dangling_links_are_named_or_skipped(tmp_path, real):
    Image.fromarray(real["images"][0]).save(tmp_path / "a.png")
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    (tmp_path / "nowhere.png").symlink_to(tmp_path / "missing.png")
    with pytest.raises(mvw_data.UnreadableFileError, match=r"loop\.png cannot be opened: .*loop"):
        mvw_data.load(tmp_path)
    with pytest.raises(mvw_data.UnreadableFileError, match=r"loop\.png cannot be opened"):
        mvw_data.load([tmp_path / "a.png", tmp_path / "loop.png"])
    with pytest.warns(UserWarning, match="skipped 2 unreadable") as caught:
        data = mvw_data.load(tmp_path, skip_bad=True)
    assert "symbolic link loop" in str(caught[0].message)
    assert data.names == ["a"] and data.files == [str(tmp_path / "a.png")]
    assert [f for f, _ in data.skipped] == [
        str(tmp_path / "loop.png"),
        str(tmp_path / "nowhere.png"),
    ]
    assert "link to a missing file" in data.skipped[1][1]
    (tmp_path / "a.png").unlink()
    with pytest.warns(UserWarning, match="skipped 2"), pytest.raises(ValueError, match="empty"):
        mvw_data.load(tmp_path, skip_bad=True)


def test_a_text_file_named_like_a_numpy_file_is_called_what_it_is(tmp_path):
    (tmp_path / "x.npy").write_text("a, b, c\n1, 2, 3\n")
    (tmp_path / "y.npz").write_text("<html>not found</html>")
    with pytest.raises(
        mvw_data.UnreadableFileError, match=r"x\.npy is not a NumPy array file"
    ) as err:
        mvw_data.load(tmp_path / "x.npy")
    assert "allow_pickle" not in str(err.value)
    with pytest.raises(mvw_data.UnreadableFileError, match=r"y\.npz is not a NumPy \.npz archive"):
        mvw_data.load(tmp_path / "y.npz")
