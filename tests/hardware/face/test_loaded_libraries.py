"""Finding OpenBLAS among the loaded libraries (to run BLAS on one thread): /proc/self/maps
lines on Linux, module paths as EnumProcessModules gives them on Windows."""

from __future__ import annotations

from hardware.face import resnet
from hardware.face.resnet import openblas_paths, paths_from_maps

MAPS = """\
55d0c8a00000-55d0c8a28000 r--p 00000000 08:01 1835 /usr/bin/python3.11
7f3a10000000-7f3a10021000 rw-p 00000000 00:00 0
7f3a2c000000-7f3a2e9b1000 r-xp 00000000 08:01 9 /opt/examkiosk/_internal/numpy.libs/libscipy_openblas64_-32a4b2a6.so
7f3a2e9b1000-7f3a2eb00000 r--p 029b1000 08:01 9 /opt/examkiosk/_internal/numpy.libs/libscipy_openblas64_-32a4b2a6.so
7f3a30000000-7f3a30100000 r-xp 00000000 08:01 12 /home/exam kiosk/libs/libopenblasp-r0-59ffcd50.3.15.so
7f3a31000000-7f3a31001000 r--p 00000000 00:00 0 [vdso]
7f3a32000000-7f3a32001000 r--p 00000000 08:01 14 /data/openblas-notes/libcrypto.so.3
"""

WINDOWS_MODULES = [
    "C:\\Program Files\\ExamKiosk\\releases\\0.2.0\\examkiosk.exe",
    "C:\\Windows\\SYSTEM32\\ntdll.dll",
    "C:\\Program Files\\ExamKiosk\\releases\\0.2.0\\_internal\\numpy.libs\\"
    "libscipy_openblas64_-c16e4918366c6bc1f1cd71e28ca36fc0.dll",
    "C:\\Program Files\\ExamKiosk\\releases\\0.2.0\\_internal\\cv2\\opencv_videoio_ffmpeg4100_64.dll",
    "C:\\OpenBLAS-tools\\zlib1.dll",
]


def test_linux_maps_give_each_openblas_library_once() -> None:
    paths = paths_from_maps(MAPS.splitlines())
    assert "[vdso]" not in paths and "/usr/bin/python3.11" in paths
    assert openblas_paths(paths) == [
        "/home/exam kiosk/libs/libopenblasp-r0-59ffcd50.3.15.so",
        "/opt/examkiosk/_internal/numpy.libs/libscipy_openblas64_-32a4b2a6.so",
    ]


def test_windows_module_paths_give_numpys_openblas_dll() -> None:
    assert openblas_paths(WINDOWS_MODULES) == [WINDOWS_MODULES[2]]


def test_in_this_process_the_single_thread_switch_is_found() -> None:
    assert any("openblas" in p.lower() for p in resnet._loaded_libraries())
    assert resnet._set_local_threads is not None
