"""USB bundles and the drives they go on: whole or nothing, and an error a person can act on."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.bundle import Snapshot, inspect_bundle, open_bundle, write_bundle
from sync.crypto import KeyPair
from sync.errors import BundleCancelled, FormatError, MediaError
from sync.events import GENESIS_HASH, Event, compute_hash
from sync.media import check_writable, free_bytes, list_removable_volumes, media_error

STATION = KeyPair.generate()
CENTRAL = KeyPair.generate()
CANDIDATE_NAME = "司马青云"


def make_events(count: int, *, start: int = 1, prev: str = GENESIS_HASH) -> list[Event]:
    events = []
    for seq in range(start, start + count):
        fields = {
            "station_id": "ST-07",
            "seq": seq,
            "uuid": str(uuid.UUID(int=seq)),
            "type": "answer.saved",
            "wall_time": "2026-05-10T09:30:00+08:00",
            "mono_time": 1000.25 + seq,
            "payload": {"ticket": f"26{seq:05d}", "item": seq % 300, "answer": "ABCDE"[seq % 5]},
            "prev_hash": prev,
        }
        if seq == 3:
            fields["payload"] = {"check_in": True, "name": CANDIDATE_NAME}
        prev = compute_hash(fields)
        events.append(Event(**fields, hash=prev))  # type: ignore[arg-type]
    return events


SNAPSHOTS = [
    Snapshot("checkin-1.jpg", "image/jpeg", os.urandom(3000), event_seq=3),
    Snapshot("answers-1.json", "application/json", b'{"a":1}' * 500),
]


def _write(path: Path, events: list[Event], snapshots: list[Snapshot] = SNAPSHOTS, **kw: object):
    return write_bundle(
        path,
        events,
        snapshots,
        station_id="ST-07",
        venue_id="V-0101",
        sitting_id="S-AM",
        station=STATION,
        central=CENTRAL.public(),
        **kw,  # type: ignore[arg-type]
    )


def test_a_bundle_round_trips_and_leaves_only_itself_on_the_drive(tmp_path: Path) -> None:
    events = make_events(1000)
    info = _write(tmp_path / "st07.ekb", events, chunk_size=4096)
    assert os.listdir(tmp_path) == ["st07.ekb"]
    assert (info.first_seq, info.last_seq, info.event_count, info.snapshot_count) == (
        1,
        1000,
        1000,
        2,
    )
    assert info.station_key == STATION.public()
    assert info.size_bytes == (tmp_path / "st07.ekb").stat().st_size
    opened, got_events, got_snapshots = open_bundle(
        tmp_path / "st07.ekb", central=CENTRAL, station_key=STATION.public()
    )
    assert opened == info
    assert got_events == events
    assert got_snapshots == SNAPSHOTS


def test_verify_without_keys_says_what_the_bundle_holds(tmp_path: Path) -> None:
    info = _write(tmp_path / "b.ekb", make_events(20, start=101, prev="a" * 64))
    checked = inspect_bundle(tmp_path / "b.ekb")
    assert checked == info
    shown = json.loads(json.dumps(checked.to_dict()))
    assert shown["station_id"] == "ST-07" and shown["sitting_id"] == "S-AM"
    assert (shown["first_seq"], shown["last_seq"]) == (101, 120)
    assert shown["station_key"]["key_id"] == STATION.public().key_id
    assert inspect_bundle((tmp_path / "b.ekb").read_bytes()) == info


def test_no_personal_data_in_the_bundle_file(tmp_path: Path) -> None:
    _write(tmp_path / "b.ekb", make_events(10))
    raw = (tmp_path / "b.ekb").read_bytes()
    assert CANDIDATE_NAME.encode("utf-8") not in raw
    assert b"2600003" not in raw  # admission ticket numbers


def test_an_empty_export_is_still_a_valid_bundle(tmp_path: Path) -> None:
    info = _write(tmp_path / "e.ekb", [], [])
    assert (info.first_seq, info.last_seq, info.event_count) == (0, 0, 0)
    assert open_bundle(tmp_path / "e.ekb", central=CENTRAL)[1:] == ([], [])


def test_only_the_centre_opens_it_and_only_as_the_expected_station(tmp_path: Path) -> None:
    _write(tmp_path / "b.ekb", make_events(5))
    with pytest.raises(FormatError):
        open_bundle(tmp_path / "b.ekb", central=KeyPair.generate())
    with pytest.raises(FormatError):
        open_bundle(tmp_path / "b.ekb", central=CENTRAL, station_key=KeyPair.generate().public())


def test_events_with_a_gap_travel_but_a_broken_chain_is_refused(tmp_path: Path) -> None:
    events = make_events(10)
    with_gap = events[:4] + events[6:]
    _write(tmp_path / "gap.ekb", with_gap)
    assert open_bundle(tmp_path / "gap.ekb", central=CENTRAL)[1] == with_gap
    edited = list(events)
    edited[5] = Event(**{**edited[5].to_dict(), "payload": {"answer": "E"}})
    _write(tmp_path / "bad.ekb", edited)  # the writer trusts the outbox; the centre does not
    with pytest.raises(FormatError) as caught:
        open_bundle(tmp_path / "bad.ekb", central=CENTRAL)
    assert "6:bad_hash" in caught.value.detail


def test_events_of_another_station_or_out_of_order_are_a_caller_error(tmp_path: Path) -> None:
    events = make_events(3)
    with pytest.raises(ValueError):
        _write(tmp_path / "x.ekb", [events[1], events[0]])
    foreign = Event(**{**events[0].to_dict(), "station_id": "ST-08"})
    with pytest.raises(ValueError):
        _write(tmp_path / "x.ekb", [foreign])
    assert os.listdir(tmp_path) == []


def test_progress_counts_up_to_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    _write(tmp_path / "p.ekb", make_events(2000), progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (2002, 2002)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert len(seen) > 3


def test_cancel_mid_write_leaves_nothing_and_keeps_an_older_bundle(tmp_path: Path) -> None:
    target = tmp_path / "st07.ekb"
    calls = {"n": 0}

    def cancelled() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(BundleCancelled) as caught:
        _write(target, make_events(3000), cancelled=cancelled)
    assert caught.value.zh and caught.value.en
    assert os.listdir(tmp_path) == []
    old = _write(target, make_events(5))
    calls["n"] = 0
    with pytest.raises(BundleCancelled):
        _write(target, make_events(3000), cancelled=cancelled)
    assert os.listdir(tmp_path) == ["st07.ekb"]
    assert inspect_bundle(target) == old


def test_a_failing_progress_callback_leaves_nothing(tmp_path: Path) -> None:
    def boom(done: int, total: int) -> None:
        raise RuntimeError("UI went away")

    with pytest.raises(RuntimeError):
        _write(tmp_path / "x.ekb", make_events(2000), progress=boom)
    assert os.listdir(tmp_path) == []


def test_a_drive_removed_mid_write_gives_a_clear_error_and_no_file(tmp_path: Path) -> None:
    drive = tmp_path / "usb"
    drive.mkdir()

    def pull_the_stick(done: int, total: int) -> None:
        shutil.rmtree(drive, ignore_errors=True)

    with pytest.raises(MediaError) as caught:
        _write(drive / "b.ekb", make_events(2000), progress=pull_the_stick)
    assert caught.value.problem == "vanished"
    assert "U盘" in caught.value.zh
    assert not drive.exists()


def test_a_missing_target_folder_is_a_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as caught:
        _write(tmp_path / "nowhere" / "b.ekb", make_events(3))
    assert caught.value.problem == "vanished"


# --- real drives: small tmpfs mounts stand in for USB sticks -----------------------------


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[object]:
    mounted: list[Path] = []

    def mount(name: str, options: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        if shutil.which("mount") is None:
            pytest.skip("no mount(8) here: cannot make a small or read-only drive")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs (needs root/CAP_SYS_ADMIN): {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_a_full_drive_gives_a_clear_error_and_no_partial_file(mount_tmpfs) -> None:
    drive = mount_tmpfs("small", "size=256k")
    big_photo = Snapshot("hall.jpg", "image/jpeg", os.urandom(600_000))
    with pytest.raises(MediaError) as caught:
        _write(drive / "b.ekb", make_events(50), [big_photo])
    assert caught.value.problem == "full"
    assert "空间不足" in caught.value.zh and "full" in caught.value.en
    assert os.listdir(drive) == []
    assert free_bytes(drive) == 256 * 1024  # everything written was given back


def test_a_read_only_drive_gives_a_clear_error_and_no_file(mount_tmpfs) -> None:
    drive = mount_tmpfs("locked", "size=1m,ro")
    with pytest.raises(MediaError) as caught:
        _write(drive / "b.ekb", make_events(5))
    assert caught.value.problem == "read_only"
    assert "只读" in caught.value.zh and "read-only" in caught.value.en
    with pytest.raises(MediaError):
        check_writable(drive)
    assert os.listdir(drive) == []


def test_a_stick_unmounted_mid_write_gives_a_clear_error_and_no_file(mount_tmpfs) -> None:
    drive = mount_tmpfs("pulled", "size=4m")

    def pull(done: int, total: int) -> None:
        subprocess.run(["umount", "-l", str(drive)], check=False)

    with pytest.raises(MediaError) as caught:
        _write(drive / "b.ekb", make_events(2000), progress=pull)
    assert caught.value.problem == "vanished"
    assert os.listdir(drive) == []  # the mount point on the station's own disk stays clean


def test_a_roomy_writable_drive_passes_the_preflight_check(mount_tmpfs) -> None:
    drive = mount_tmpfs("roomy", "size=1m")
    check_writable(drive, needed_bytes=100_000)
    with pytest.raises(MediaError) as caught:
        check_writable(drive, needed_bytes=10_000_000)
    assert caught.value.problem == "full"
    assert os.listdir(drive) == []


# --- listing removable drives --------------------------------------------------------------


def _fake_system(root: Path, usb_mount: Path, card_mount: Path, disk_mount: Path) -> None:
    """A recorded /proc/mounts + /sys + /dev layout: a USB stick, an SD card, an internal disk."""
    sys_root, dev = root / "sys", root / "dev"
    devices = {
        "sdb": ("devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/block/sdb", "0"),
        "mmcblk0": ("devices/platform/sdhci/mmc_host/mmc0/block/mmcblk0", "1"),
        "sda": ("devices/pci0000:00/0000:00:17.0/ata1/host0/block/sda", "0"),
    }
    for disk, (where, removable) in devices.items():
        node = sys_root / where
        partition = node / (f"{disk}p1" if disk.startswith("mmc") else f"{disk}1")
        partition.mkdir(parents=True)
        (partition / "partition").write_text("1\n")
        (node / "removable").write_text(removable + "\n")
        (sys_root / "block").mkdir(exist_ok=True)
        (sys_root / "block" / disk).symlink_to(node)
        (sys_root / "class" / "block").mkdir(parents=True, exist_ok=True)
        (sys_root / "class" / "block" / disk).symlink_to(node)
        (sys_root / "class" / "block" / partition.name).symlink_to(partition)
    (dev / "disk" / "by-label").mkdir(parents=True)
    (dev / "disk" / "by-label" / "KAO\\x20DIAN").symlink_to("../../sdb1")
    escaped = str(usb_mount).replace(" ", "\\040")
    (root / "mounts").write_text(
        "proc /proc proc rw 0 0\n"
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        f"/dev/sda1 {disk_mount} ext4 rw 0 0\n"
        f"/dev/sdb1 {escaped} vfat rw,nosuid,uid=1000 0 0\n"
        f"/dev/mmcblk0p1 {card_mount} exfat ro,nosuid 0 0\n"
        "tmpfs /run tmpfs rw 0 0\n"
    )


def test_removable_volumes_are_listed_with_label_space_and_write_state(tmp_path: Path) -> None:
    usb, card, disk = tmp_path / "U盘 1", tmp_path / "card", tmp_path / "data"
    for point in (usb, card, disk):
        point.mkdir()
    _fake_system(tmp_path / "fake", usb, card, disk)
    volumes = list_removable_volumes(
        mounts_file=tmp_path / "fake" / "mounts",
        sys_root=tmp_path / "fake" / "sys",
        dev_root=tmp_path / "fake" / "dev",
    )
    assert [(v.device, v.mount_point, v.fs_type) for v in volumes] == [
        ("/dev/sdb1", usb, "vfat"),
        ("/dev/mmcblk0p1", card, "exfat"),
    ]
    stick, sd_card = volumes
    assert stick.label == "KAO DIAN" and stick.display_name == "KAO DIAN"
    assert not stick.read_only and sd_card.read_only
    assert sd_card.display_name == "card"
    assert stick.total_bytes > 0 and 0 <= stick.free_bytes <= stick.total_bytes


def test_listing_on_this_machine_never_raises() -> None:
    for volume in list_removable_volumes():
        assert volume.mount_point.is_dir()
    assert list_removable_volumes(mounts_file=Path("/nonexistent/mounts")) == []


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        (errno.EROFS, "read_only"),
        (errno.EACCES, "read_only"),
        (errno.ENOSPC, "full"),
        (errno.EFBIG, "full"),
        (errno.EIO, "vanished"),
        (errno.ENODEV, "vanished"),
        (errno.EMFILE, "io"),
    ],
)
def test_every_drive_failure_maps_to_an_actionable_message(code: int, problem: str) -> None:
    error = media_error(OSError(code, os.strerror(code)), Path("/media/usb"))
    assert error.problem == problem
    assert error.zh and error.en and "/media/usb" in error.detail
