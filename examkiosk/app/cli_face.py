"""`examkiosk face ...` and `examkiosk camera ...`: face checks and cameras from a terminal,
for the invigilator's supervisor and for measuring the shipped thresholds on one's own pairs."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import click
import cv2

from hardware.camera import CameraError, list_cameras, open_camera
from hardware.errors import DeviceError
from hardware.face import FaceEncoding, FaceEngine, FaceError, face_available
from hardware.face.verdict import decide

_TRUE = {"1", "true", "yes", "same", "genuine", "match"}
_FALSE = {"0", "false", "no", "different", "impostor", "no_match"}


def _engine() -> FaceEngine:
    if not face_available():
        raise click.ClickException(
            "Face verification is not available on this machine (dlib or its models are missing)."
        )
    return FaceEngine()


def _fail(error: DeviceError) -> click.ClickException:
    return click.ClickException(f"{error.en}\n{error.zh}")


@click.group("face")
def face() -> None:
    """Face verification: compare photos, measure thresholds."""


@face.command("verify")
@click.option(
    "--reference", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--probe", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def verify(reference: Path, probe: Path, as_json: bool) -> None:
    """Compare the face in PROBE (e.g. a snapshot) with the one in REFERENCE (roster photo).

    Exit status: 0 match, 1 error, 2 no match, 3 unsure or bad picture.
    """
    engine = _engine()
    try:
        encoding = engine.encode_reference(reference)
    except FaceError as exc:
        raise _fail(exc) from exc
    result = engine.verify(probe, encoding, "roster")
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        distance = "-" if result.distance is None else f"{result.distance:.3f}"
        click.echo(f"{result.decision.value}  distance {distance}  {result.elapsed_ms:.0f} ms")
        click.echo(result.message_en)
        click.echo(result.message_zh)
    codes = {"match": 0, "no_match": 2}
    raise SystemExit(codes.get(result.decision.value, 3))


def _label(row: dict[str, str]) -> bool | None:
    raw = (row.get("same") or row.get("label") or "").strip().lower()
    return True if raw in _TRUE else False if raw in _FALSE else None


@face.command("verify-pairs")
@click.option(
    "--pairs", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--images", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object per pair, then a summary."
)
def verify_pairs(pairs: Path, images: Path, as_json: bool) -> None:
    """Decide every pair of PAIRS.csv (columns file_x,file_y; optional same=1/0).

    Each image is encoded once. With a `same` (or `label`) column, false-accept and
    false-reject counts at the shipped thresholds are printed at the end.
    """
    engine = _engine()
    with pairs.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"file_x", "file_y"} <= set(rows[0]):
        raise click.ClickException("PAIRS.csv needs a header with columns file_x,file_y")
    cache: dict[str, tuple[FaceEncoding | None, str, float]] = {}

    def encode(name: str) -> tuple[FaceEncoding | None, str, float]:
        if name not in cache:
            start = time.perf_counter()
            try:
                analysis = engine.analyze(images / name)
                error = "" if analysis.encoding else "no_face"
                cache[name] = (analysis.encoding, error, (time.perf_counter() - start) * 1000)
            except FaceError as exc:
                cache[name] = (None, exc.reason, (time.perf_counter() - start) * 1000)
        return cache[name]

    summary = {"pairs": 0, "match": 0, "no_match": 0, "unsure": 0, "error": 0}
    summary |= {"false_accept": 0, "false_reject": 0, "genuine": 0, "impostor": 0}
    for row in rows:
        x, y = row["file_x"].strip(), row["file_y"].strip()
        (enc_x, err_x, ms_x), (enc_y, err_y, ms_y) = encode(x), encode(y)
        summary["pairs"] += 1
        out: dict[str, object] = {"file_x": x, "file_y": y, "ms_x": round(ms_x, 1)}
        out["ms_y"] = round(ms_y, 1)
        if enc_x is None or enc_y is None:
            summary["error"] += 1
            out |= {"decision": "error", "error": err_x or err_y, "distance": None}
        else:
            distance = enc_x.distance(enc_y)
            decision = decide(distance, engine.thresholds).value
            summary[decision] += 1
            out |= {"decision": decision, "distance": round(distance, 4)}
            label = _label(row)
            if label is not None:
                summary["genuine" if label else "impostor"] += 1
                summary["false_accept"] += (not label) and decision == "match"
                summary["false_reject"] += label and decision == "no_match"
        if as_json:
            click.echo(json.dumps(out, ensure_ascii=False))
        else:
            distance_text = "-" if out["distance"] is None else f"{out['distance']:.3f}"
            click.echo(
                f"{x},{y}: {out['decision']} distance {distance_text} "
                f"({ms_x:.0f} ms + {ms_y:.0f} ms){' ' + str(out.get('error')) if 'error' in out else ''}"
            )
    if as_json:
        click.echo(json.dumps({"summary": summary, "thresholds": engine.thresholds.__dict__}))
    else:
        click.echo(
            f"{summary['pairs']} pairs: {summary['match']} match, {summary['no_match']} no match, "
            f"{summary['unsure']} unsure, {summary['error']} error"
            + (
                f"; false accepts {summary['false_accept']}/{summary['impostor']}, "
                f"false rejects {summary['false_reject']}/{summary['genuine']}"
                if summary["genuine"] or summary["impostor"]
                else ""
            )
        )


@click.group("camera")
def camera() -> None:
    """Cameras: list them, take a snapshot."""


@camera.command("list")
@click.option("--json", "as_json", is_flag=True)
def camera_list(as_json: bool) -> None:
    """The cameras that open and give a picture."""
    devices = list_cameras()
    if as_json:
        click.echo(json.dumps([d.__dict__ for d in devices], ensure_ascii=False))
        return
    if not devices:
        click.echo("No camera found. 未找到摄像头。")
    for device in devices:
        click.echo(f"{device.index}: {device.name} ({device.width}x{device.height})")


@camera.command("snapshot")
@click.option("--device", required=True, help="Camera index (0, 1, ...) or a video file / URL.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def snapshot(device: str, out: Path) -> None:
    """Save one picture from the camera to OUT (.jpg or .png)."""
    if out.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
        raise click.ClickException("--out must end in .jpg, .jpeg or .png")
    try:
        with open_camera(device) as cam:
            frame = cam.grab(timeout=5.0)
            info = cam.info
    except CameraError as exc:
        raise _fail(exc) from exc
    if not cv2.imwrite(str(out), frame.image):
        raise click.ClickException(f"Cannot write {out}.")
    click.echo(f"{out}: {info.width}x{info.height} from {info.source} ({info.backend})")
