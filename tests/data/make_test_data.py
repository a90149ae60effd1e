"""Regenerate the committed test data (this folder) from the project's shared data folder.

Usage: python tests/data/make_test_data.py SHARED_DIR   (the folder holding compat/ and data/)

The golden vectors are the official MultiverSeg/ScribblePrompt code's own outputs and are never
recomputed here: they are copied, the two B=2 128x128 MultiverSeg files (same inputs) are merged
into one, and every file is xz-compressed (lossless). Each written file is read back and compared
with its source bit for bit. The images are subsets of demo/ and train/ tasks with the same keys.
Files are written byte-reproducibly, so a rerun leaves git clean.
"""

from __future__ import annotations

import argparse
import io
import lzma
import shutil
import zipfile
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent

# Golden files copied as they are (compressed); their names gain ".xz".
GOLDEN_COPIES = [
    "multiverseg_small_golden_b1_128.pt",
    "multiverseg_small_golden_misc.pt",
    "scribbleprompt_unet_small_golden.pt",
    "multiverseg_pipeline_small_golden.pt",
    "prepare_inputs_golden.pt",
    "rescale_inputs_golden.pt",
]
# Same B=2 inputs (the S5 file's support extends the other's): one file, every case kept.
B2_SOURCES = ["multiverseg_small_golden_b2_128_s013.pt", "multiverseg_small_golden_b2_128_s5.pt"]
B2_MERGED = "multiverseg_small_golden_b2_128.pt"
MANIFESTS = [
    "multiverseg_v1_state_dict_shapes.json",
    "scribbleprompt_unet_v1_state_dict_shapes.json",
]

# (source under data/, destination here, image indices or None for the whole file)
IMAGES = [
    ("demo/bbbc039_nuclei.npz", "demo/bbbc039_nuclei.npz", range(12)),
    ("demo/medscribble_HipXRay.npz", "demo/medscribble_HipXRay.npz", None),
    ("train/bbbc039_nuclei.npz", "train/bbbc039_nuclei.npz", range(8)),
    ("train/wbc1_nucleus.npz", "wbc1_nucleus.npz", range(4)),
    ("train/wbc1_cytoplasm.npz", "wbc1_cytoplasm.npz", range(4)),
    ("train/wbc1_cell.npz", "wbc1_cell.npz", range(4)),
]


def load_pt(path: Path) -> dict:
    return torch.load(path, weights_only=True)


def load_xz(path: Path) -> dict:
    """The loader the tests use (tests/conftest.py: load_golden)."""
    return torch.load(io.BytesIO(lzma.decompress(path.read_bytes())), weights_only=True)


def save_xz(obj: dict, path: Path) -> None:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    path.write_bytes(lzma.compress(buffer.getvalue(), preset=9 | lzma.PRESET_EXTREME))


def bytes_of(t: torch.Tensor) -> torch.Tensor:
    """The raw bytes: so that -0.0 differs from 0.0 and NaN payloads count."""
    return t.reshape(-1).contiguous().view(torch.uint8)


def assert_identical(a, b, where: str = "") -> None:
    """Same structure, same values; tensors equal bit for bit (dtype and shape included)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, where
        bits = (a, b) if not a.is_floating_point() else (bytes_of(a), bytes_of(b))
        assert torch.equal(*bits), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for key in a:
            assert_identical(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), where  # NaN equals NaN here


def merge_b2(s013: dict, s5: dict) -> dict:
    """One B=2 file holding both files' cases; refuses unless the inputs really are shared."""
    assert_identical(s013["config"], s5["config"], "config")
    assert_identical(s013["state_dict"], s5["state_dict"], "state_dict")
    a, b = s013["inputs"], s5["inputs"]
    k = a["support_images"].shape[1]
    assert_identical(a["target_image"], b["target_image"], "target_image")
    assert_identical(a["support_images"], b["support_images"][:, :k].contiguous(), "support")
    assert_identical(a["support_labels"], b["support_labels"][:, :k].contiguous(), "labels")
    meta = dict(s5["meta"])
    meta["cases"] = [*s013["meta"]["cases"], *s5["meta"]["cases"]]
    meta["observed_noise_official_code"] = {
        **s013["meta"]["observed_noise_official_code"],
        **s5["meta"]["observed_noise_official_code"],
    }
    meta["merged_from"] = list(B2_SOURCES)
    outputs = {**s013["outputs"], **s5["outputs"]}
    return {**s5, "meta": meta, "outputs": outputs}


def write_goldens(compat: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in GOLDEN_COPIES:
        source = load_pt(compat / name)
        save_xz(source, out / f"{name}.xz")
        assert_identical(source, load_xz(out / f"{name}.xz"), name)
    s013, s5 = (load_pt(compat / name) for name in B2_SOURCES)
    save_xz(merge_b2(s013, s5), out / f"{B2_MERGED}.xz")
    merged = load_xz(out / f"{B2_MERGED}.xz")
    for source in (s013, s5):  # every official case, with the inputs it was computed from
        k = source["inputs"]["support_images"].shape[1]
        for case, expected in source["outputs"].items():
            assert_identical(expected, merged["outputs"][case], case)
        for key, value in source["inputs"].items():
            stored = merged["inputs"][key]
            if key.startswith("support"):
                stored = stored[:, :k].contiguous()
            assert_identical(value, stored, key)
    for name in MANIFESTS:
        shutil.copyfile(compat / name, out / name)


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez_compressed, but with fixed zip timestamps: the same arrays give the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for key, value in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(value), allow_pickle=False)


def write_images(data: Path, out: Path) -> None:
    for source, target, indices in IMAGES:
        if indices is None:
            (out / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(data / source, out / target)
            continue
        with np.load(data / source, allow_pickle=False) as f:
            arrays = {key: f[key][list(indices)] for key in f.files}
        save_npz(out / target, arrays)
        with np.load(out / target, allow_pickle=False) as f:
            assert list(f.files) == list(arrays)
            for key, value in arrays.items():
                assert f[key].dtype == value.dtype and np.array_equal(f[key], value), target
    names = [np.load(out / f"wbc1_{s}.npz")["names"] for s in ("nucleus", "cytoplasm", "cell")]
    assert all(np.array_equal(names[0], n) for n in names), "the WBC files must share images"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", type=Path, help="the shared folder (with compat/ and data/)")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: here)")
    args = parser.parse_args()
    if not (args.shared / "compat").is_dir() or not (args.shared / "data").is_dir():
        parser.error(f"{args.shared} has no compat/ and data/ folders")
    write_goldens(args.shared / "compat", args.out / "compat")
    write_images(args.shared / "data", args.out)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {args.out}: {total / 1e6:.2f} MB in all")


if __name__ == "__main__":
    main()
