"""Which cameras are offered: Linux's V4L2 nodes from a recorded sysfs layout, and the bounded
index probing used on Windows (OpenCV indices, Media Foundation or DirectShow order)."""

from __future__ import annotations

from pathlib import Path

from hardware.camera.enumerate import (
    WINDOWS_MISSES_BEFORE_STOP,
    device_identity,
    linux_candidates,
    probe,
)


class Desk:
    """Which indices open and the picture size each gives; counts the opens tried."""

    def __init__(self, sizes: dict[int, tuple[int, int]]) -> None:
        self.sizes = sizes
        self.tried: list[int] = []

    def grab(self, index: int) -> tuple[int, int] | None:
        self.tried.append(index)
        return self.sizes.get(index)


def _windows_candidates(count: int = 8) -> list[tuple[int, str]]:
    return [(i, f"Camera {i}") for i in range(count)]


def test_one_camera_costs_three_opens_not_eight() -> None:
    desk = Desk({0: (1280, 720)})
    found = probe(_windows_candidates(), desk.grab, WINDOWS_MISSES_BEFORE_STOP)
    assert [(c.index, c.width, c.height) for c in found] == [(0, 1280, 720)]
    assert desk.tried == [0, 1, 2]


def test_a_camera_after_one_that_does_not_open_is_still_found() -> None:
    # An IR camera (index 1) that gives no colour picture sits between two real ones.
    desk = Desk({0: (640, 480), 2: (1920, 1080)})
    found = probe(_windows_candidates(), desk.grab, WINDOWS_MISSES_BEFORE_STOP)
    assert [c.index for c in found] == [0, 2]
    assert desk.tried == [0, 1, 2, 3, 4]


def test_no_camera_stops_after_the_misses() -> None:
    desk = Desk({})
    assert probe(_windows_candidates(), desk.grab, WINDOWS_MISSES_BEFORE_STOP) == []
    assert desk.tried == [0, 1]


def test_linux_tries_every_sysfs_node() -> None:
    desk = Desk({0: (640, 480), 4: (1280, 720)})
    found = probe([(0, "Integrated"), (1, "meta"), (2, "meta"), (4, "USB")], desk.grab)
    assert [(c.index, c.name) for c in found] == [(0, "Integrated"), (4, "USB")]
    assert desk.tried == [0, 1, 2, 4]


def test_linux_candidates_come_from_sysfs_in_index_order(tmp_path: Path) -> None:
    for node, name in [("video10", "Logitech C920"), ("video2", "HD Camera"), ("video0", None)]:
        (tmp_path / node).mkdir()
        if name:
            (tmp_path / node / "name").write_text(name + "\n")
    (tmp_path / "v4l-subdev0").mkdir()
    assert linux_candidates(tmp_path) == [(0, "video0"), (2, "HD Camera"), (10, "Logitech C920")]
    assert linux_candidates(tmp_path / "absent") == []


def test_an_index_without_a_v4l2_node_is_recorded_as_an_index() -> None:
    assert device_identity("63") == {"device": "index:63", "simulated": False}
