"""dlib's face-descriptor ResNet (`dlib_face_recognition_resnet_model_v1`), run with numpy.

Why this exists: the `dlib-bin` wheel runs this network in ~85 ms per face on a laptop CPU
(no BLAS), which alone makes a 10x speed-up over naive face_recognition impossible. The same
weights, read from the same model file and run as im2col + BLAS matrix products, give the
same 128 numbers (max difference ~1e-5, checked by tests/hardware/face/test_resnet.py against
dlib itself) several times faster.

The network (dlib's `anet_type`, from dnn_face_recognition_ex.cpp) is:
conv7x7/2(32) affine relu maxpool3x3/2, 3 x res(32), res_down(64) + 3 x res(64),
res_down(128) + 2 x res(128), res_down(256) + 2 x res(256), res_down(256), global average,
fc(128, no bias). A residual block is conv3x3 affine relu conv3x3 affine, added to its input
(or to a 2x2/2 average of it when the block strides by 2), then relu. dlib adds tensors of
different shapes over their common part and zero-fills the rest; `_add_prev` does the same.

The model file is dlib's serialisation: layers in forward order, each introduced by a tag
string ("con_4", "affine_", "fc_2", ...); parameter tensors are raw little-endian float32.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]

# input_rgb_image_sized<150>: dlib subtracts these channel means and divides by 256.
_MEAN_RGB = np.array([122.782, 117.001, 104.298], dtype=np.float32)
CHIP_SIZE = 150


class ModelFormatError(ValueError):
    """The model file is not the dlib ResNet this module knows how to run."""


@dataclass(frozen=True)
class _Conv:
    weights: F32  # (kh * kw * C_in, C_out), rows in (kh, kw, C_in) order, affine folded in
    bias: F32  # (C_out,)
    kernel: int
    stride: int
    padding: int


@dataclass(frozen=True)
class _Weights:
    convs: tuple[_Conv, ...]
    fc: F32  # (256, 128)


class _Reader:
    """Sequential reader of dlib's serialisation primitives."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def int_(self) -> int:
        head = self.data[self.pos]
        size = head & 0x0F
        if size > 8:
            raise ModelFormatError(f"bad integer at byte {self.pos}")
        raw = self.data[self.pos + 1 : self.pos + 1 + size]
        self.pos += 1 + size
        value = int.from_bytes(raw, "little")
        return -value if head & 0x80 else value

    def tensor(self) -> F32:
        if self.int_() != 2:
            raise ModelFormatError(f"unknown tensor version at byte {self.pos}")
        shape = tuple(self.int_() for _ in range(4))
        count = shape[0] * shape[1] * shape[2] * shape[3]
        end = self.pos + 4 * count
        if end > len(self.data):
            raise ModelFormatError("model file is truncated")
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos)
        self.pos = end
        return values.astype(np.float32).reshape(shape)

    def seek_tag(self, tag: bytes) -> bool:
        """Move past the next serialised string `tag`; False when there is none."""
        needle = bytes([0x01, len(tag)]) + tag
        found = self.data.find(needle, self.pos)
        if found < 0:
            return False
        self.pos = found + len(needle)
        return True

    def next_tag(self, tags: tuple[bytes, ...]) -> bytes | None:
        best: tuple[int, bytes] | None = None
        for tag in tags:
            found = self.data.find(bytes([0x01, len(tag)]) + tag, self.pos)
            if found >= 0 and (best is None or found < best[0]):
                best = (found, tag)
        if best is None:
            return None
        self.pos = best[0] + 2 + len(best[1])
        return best[1]


def _load(path: Path) -> _Weights:
    reader = _Reader(path.read_bytes())
    if not reader.seek_tag(b"loss_metric_2") or not reader.seek_tag(b"input_rgb_image_sized"):
        raise ModelFormatError(f"{path.name} is not a dlib metric network")
    convs: list[_Conv] = []
    raw_conv: tuple[F32, int, int, int, int] | None = None
    fc: F32 | None = None
    while (tag := reader.next_tag((b"con_4", b"affine_", b"fc_2"))) is not None:
        if tag == b"con_4":
            params = reader.tensor().reshape(-1)
            n_filters, rows, cols, stride, _sx, padding, _px = (reader.int_() for _ in range(7))
            per_filter = (params.size - n_filters) // n_filters
            if rows != cols or per_filter % (rows * cols):
                raise ModelFormatError("unexpected convolution shape")
            raw_conv = (params, n_filters, rows, stride, padding)
        elif tag == b"affine_":
            if raw_conv is None:
                raise ModelFormatError("affine layer without a convolution")
            params = reader.tensor().reshape(-1)
            conv_params, n_filters, size, stride, padding = raw_conv
            gamma, beta = params[:n_filters], params[n_filters : 2 * n_filters]
            kernel = conv_params[:-n_filters].reshape(n_filters, -1, size, size)
            bias = conv_params[-n_filters:]
            # Fold affine (gamma * conv + beta) into the convolution itself, and order rows
            # (kh, kw, C_in) to match the columns _conv builds.
            scaled = kernel * gamma[:, None, None, None]
            folded = scaled.transpose(2, 3, 1, 0).reshape(-1, n_filters).astype(np.float32)
            convs.append(
                _Conv(
                    np.ascontiguousarray(folded),
                    (bias * gamma + beta).astype(np.float32),
                    size,
                    stride,
                    padding,
                )
            )
            raw_conv = None
        else:
            n_outputs, n_inputs = reader.int_(), reader.int_()
            fc = reader.tensor().reshape(-1)[: n_inputs * n_outputs].reshape(n_inputs, n_outputs)
    if fc is None or len(convs) != 29:
        raise ModelFormatError(f"expected 29 convolutions and a fc layer, got {len(convs)}")
    return _Weights(tuple(convs), np.ascontiguousarray(fc, dtype=np.float32))


def _conv(x: F32, conv: _Conv) -> F32:
    """x: (H, W, C) -> (H', W', C_out); dlib's output size floor((H + 2p - k) / s) + 1."""
    if conv.padding:
        p = conv.padding
        x = np.pad(x, ((p, p), (p, p), (0, 0)))
    k, s = conv.kernel, conv.stride
    out_h, out_w = (x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1
    if x.shape[2] >= 8:
        # im2col as k*k shifted slices side by side: each copies whole channel runs, ~5x
        # faster than reshaping a sliding-window view.
        columns = np.concatenate(
            [
                x[dy : dy + s * (out_h - 1) + 1 : s, dx : dx + s * (out_w - 1) + 1 : s]
                for dy in range(k)
                for dx in range(k)
            ],
            axis=2,
        ).reshape(out_h * out_w, -1)
    else:  # the 3-channel input: 49 slices of 3 floats each would be slower
        windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(0, 1))[::s, ::s]
        columns = windows.transpose(0, 1, 3, 4, 2).reshape(out_h * out_w, -1)
    out = columns @ conv.weights
    out += conv.bias
    return out.reshape(out_h, out_w, -1)


def _pool(x: F32, size: int, stride: int, *, average: bool) -> F32:
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(0, 1))
    windows = windows[::stride, ::stride]
    pooled = windows.mean(axis=(3, 4)) if average else windows.max(axis=(3, 4))
    return pooled.astype(np.float32, copy=False)


def _add_prev(a: F32, b: F32) -> F32:
    """dlib's add_prev: the shape is the larger of each dimension, missing parts count as 0."""
    if a.shape == b.shape:
        return a + b
    shape = tuple(max(i, j) for i, j in zip(a.shape, b.shape, strict=True))
    out = np.zeros(shape, dtype=np.float32)
    out[: a.shape[0], : a.shape[1], : a.shape[2]] += a
    out[: b.shape[0], : b.shape[1], : b.shape[2]] += b
    return out


def openblas_paths(loaded: Iterable[str]) -> list[str]:
    """The OpenBLAS libraries among loaded library paths (numpy's bundled copy is named
    libopenblas*.so on Linux, libopenblas*.dll or openblas*.dll on Windows), sorted, once each."""
    return sorted(
        {p for p in loaded if "openblas" in p.replace("\\", "/").rsplit("/", 1)[-1].lower()}
    )


def paths_from_maps(lines: Iterable[str]) -> list[str]:
    """The mapped files' paths in /proc/self/maps lines (the sixth field, which may hold spaces)."""
    paths = []
    for line in lines:
        fields = line.rstrip("\n").split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith("/"):
            paths.append(fields[5])
    return paths


def _loaded_libraries() -> list[str]:
    """Paths of the libraries loaded in this process: /proc/self/maps on Linux; the module
    list (EnumProcessModules) on Windows; nothing elsewhere."""
    if sys.platform == "win32":
        return _windows_modules()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            return paths_from_maps(maps)
    except OSError:
        return []


def _windows_modules() -> list[str]:
    from ctypes import wintypes

    psapi = ctypes.WinDLL("psapi")  # type: ignore[attr-defined]
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    psapi.EnumProcessModulesEx.argtypes = [
        wintypes.HANDLE, ctypes.POINTER(wintypes.HMODULE), wintypes.DWORD,
        ctypes.POINTER(wintypes.DWORD), wintypes.DWORD,
    ]  # fmt: skip
    psapi.GetModuleFileNameExW.argtypes = [
        wintypes.HANDLE, wintypes.HMODULE, wintypes.LPWSTR, wintypes.DWORD,
    ]  # fmt: skip
    process = kernel32.GetCurrentProcess()  # a pseudo handle: -1, too wide for a C int
    handles = (wintypes.HMODULE * 1024)()
    needed = wintypes.DWORD()
    list_all = 0x03  # LIST_MODULES_ALL
    if not psapi.EnumProcessModulesEx(
        process, handles, ctypes.sizeof(handles), ctypes.byref(needed), list_all
    ):
        return []
    count = min(len(handles), needed.value // ctypes.sizeof(wintypes.HMODULE))
    paths = []
    name = ctypes.create_unicode_buffer(32_768)
    for module in handles[:count]:
        if psapi.GetModuleFileNameExW(process, module, name, len(name)):
            paths.append(name.value)
    return paths


def _find_local_thread_setter() -> Callable[[int], int] | None:
    """OpenBLAS's per-thread `openblas_set_num_threads_local`, from the numpy-bundled library."""
    for path in openblas_paths(_loaded_libraries()):
        try:
            setter = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        setter.argtypes, setter.restype = [ctypes.c_int], ctypes.c_int
        return setter  # type: ignore[no-any-return]
    return None


_set_local_threads = _find_local_thread_setter()


@contextlib.contextmanager
def _single_thread_blas() -> Iterator[None]:
    """Run BLAS on the calling thread only. Each product here is small; on a 2-core kiosk
    that shares the CPU, OpenBLAS's spinning helper threads made the 95th percentile ~5x
    worse than one thread (benchmarks/face.py under load). No-op where the call is missing."""
    if _set_local_threads is None:
        yield
        return
    previous = _set_local_threads(1)
    try:
        yield
    finally:
        _set_local_threads(previous)


# (blocks, first block strides by 2) per level, from the input side.
_LEVELS = ((3, False), (4, True), (3, True), (3, True), (1, True))


class FaceDescriptorNet:
    """The 128-d face descriptor of a 150x150 aligned RGB face chip.

    Thread-safe: the weights are read-only after loading; each call allocates its own buffers.
    """

    def __init__(self, model_path: Path) -> None:
        self._weights = _load(model_path)

    def describe(self, chip_rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """chip_rgb: (150, 150, 3) uint8 RGB, as from dlib.get_face_chip(img, shape, 150, 0.25)."""
        if chip_rgb.shape != (CHIP_SIZE, CHIP_SIZE, 3):
            raise ValueError(f"face chip must be {CHIP_SIZE}x{CHIP_SIZE}x3, got {chip_rgb.shape}")
        with _single_thread_blas():
            return self._forward(chip_rgb)

    def _forward(self, chip_rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        x = (chip_rgb.astype(np.float32) - _MEAN_RGB) / np.float32(256.0)
        convs = iter(self._weights.convs)
        x = np.maximum(_conv(x, next(convs)), 0)
        x = _pool(x, 3, 2, average=False)
        for blocks, downsample_first in _LEVELS:
            for block in range(blocks):
                down = downsample_first and block == 0
                y = np.maximum(_conv(x, next(convs)), 0)
                y = _conv(y, next(convs))
                shortcut = _pool(x, 2, 2, average=True) if down else x
                x = np.maximum(_add_prev(shortcut, y), 0)
        pooled = x.mean(axis=(0, 1), dtype=np.float32)
        return (pooled @ self._weights.fc).astype(np.float64)


_nets: dict[Path, FaceDescriptorNet] = {}
_nets_lock = threading.Lock()


def shared_net(model_path: Path) -> FaceDescriptorNet:
    """One loaded network per model file for the whole process."""
    with _nets_lock:
        net = _nets.get(model_path)
        if net is None:
            net = _nets[model_path] = FaceDescriptorNet(model_path)
        return net
