"""Face encoding speed and accuracy: naive face_recognition vs the check-in path, one run.

    .venv/bin/python benchmarks/face.py [--faces ../shared/testdata/faces] [--rounds 5] [--json]

Naive: face_recognition.load_image_file + face_encodings (full resolution, HOG upsampled
once, dlib's descriptor). Fast: hardware.face.FaceEngine.analyze on the same file bytes
(decode, detection on a <=480 px copy, alignment on a crop, numpy descriptor). The two run
interleaved image by image, alternating which goes first, so machine load hits both alike.
Accuracy: every pair of single/ photos (same name prefix = genuine) decided at the default
thresholds with each variant's encodings.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.face import FaceEngine, FaceThresholds
from hardware.face.verdict import decide

DEFAULT_FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "testdata" / "faces"


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def _identity(path: Path) -> str:
    return path.stem.rsplit("_", 1)[0]


def _rates(encodings: dict[Path, np.ndarray], thresholds: FaceThresholds) -> dict[str, object]:
    counts = {"genuine": 0, "impostor": 0, "false_accept": 0, "false_reject": 0, "unsure": 0}
    decisions: dict[tuple[Path, Path], str] = {}
    for a, b in itertools.combinations(sorted(encodings), 2):
        distance = float(np.linalg.norm(encodings[a] - encodings[b]))
        decision = decide(distance, thresholds).value
        decisions[(a, b)] = decision
        genuine = _identity(a) == _identity(b)
        counts["genuine" if genuine else "impostor"] += 1
        counts["unsure"] += decision == "unsure"
        counts["false_accept"] += not genuine and decision == "match"
        counts["false_reject"] += genuine and decision == "no_match"
    return {"counts": counts, "decisions": decisions}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--require-ratio", type=float, default=0.0, help="exit 1 below this")
    args = parser.parse_args()
    import face_recognition  # the baseline; imported here so --help works without it

    single = sorted(p for p in (args.faces / "single").iterdir() if p.suffix != ".md")
    sizes = [args.faces / "edge" / f"obama_{r}.jpg" for r in ("240p", "480p", "720p", "1080p")]
    images = single + [p for p in sizes if p.exists()]
    engine = FaceEngine()
    engine.analyze(images[0])  # warm both variants up outside the timings
    face_recognition.face_encodings(face_recognition.load_image_file(images[0]))

    naive_t: dict[Path, list[float]] = {p: [] for p in images}
    fast_t: dict[Path, list[float]] = {p: [] for p in images}
    naive_enc: dict[Path, np.ndarray] = {}
    fast_enc: dict[Path, np.ndarray] = {}
    for round_no in range(args.rounds):
        for i, path in enumerate(images):
            order = ("naive", "fast") if (i + round_no) % 2 == 0 else ("fast", "naive")
            for variant in order:
                start = time.perf_counter()
                if variant == "naive":
                    found = face_recognition.face_encodings(face_recognition.load_image_file(path))
                    naive_t[path].append(time.perf_counter() - start)
                    if found:
                        naive_enc[path] = found[0]
                else:
                    result = engine.analyze(path)
                    fast_t[path].append(time.perf_counter() - start)
                    if result.encoding is not None:
                        fast_enc[path] = result.encoding.array()

    all_naive = [t for ts in naive_t.values() for t in ts]
    all_fast = [t for ts in fast_t.values() for t in ts]
    per_image = {
        p.parent.name + "/" + p.name: {
            "naive_median_ms": round(1000 * statistics.median(naive_t[p]), 1),
            "naive_p95_ms": round(1000 * _p95(naive_t[p]), 1),
            "fast_median_ms": round(1000 * statistics.median(fast_t[p]), 1),
            "fast_p95_ms": round(1000 * _p95(fast_t[p]), 1),
            "ratio": round(statistics.median(naive_t[p]) / statistics.median(fast_t[p]), 1),
        }
        for p in images
    }
    thresholds = FaceThresholds()
    singles_naive = {p: naive_enc[p] for p in single if p in naive_enc}
    singles_fast = {p: fast_enc[p] for p in single if p in fast_enc}
    naive_rates = _rates(singles_naive, thresholds)
    fast_rates = _rates(singles_fast, thresholds)
    agree = sum(
        naive_rates["decisions"][k] == v  # type: ignore[index]
        for k, v in fast_rates["decisions"].items()  # type: ignore[attr-defined]
    )
    shift = [float(np.linalg.norm(naive_enc[p] - fast_enc[p])) for p in fast_enc if p in naive_enc]
    ratio = statistics.median(all_naive) / statistics.median(all_fast)
    report = {
        "images": len(images),
        "rounds": args.rounds,
        "naive_median_ms": round(1000 * statistics.median(all_naive), 1),
        "naive_p95_ms": round(1000 * _p95(all_naive), 1),
        "fast_median_ms": round(1000 * statistics.median(all_fast), 1),
        "fast_p95_ms": round(1000 * _p95(all_fast), 1),
        "median_ratio": round(ratio, 1),
        "p95_ratio": round(_p95(all_naive) / _p95(all_fast), 1),
        "faces_found": {"naive": len(naive_enc), "fast": len(fast_enc), "of": len(images)},
        "pairs": len(fast_rates["decisions"]),  # type: ignore[arg-type]
        "decisions_agree": agree,
        "naive_rates": naive_rates["counts"],
        "fast_rates": fast_rates["counts"],
        "encoding_shift_mean": round(float(np.mean(shift)), 3),
        "encoding_shift_max": round(float(np.max(shift)), 3),
        "per_image": per_image,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{'image':34} {'naive med/p95 ms':>18} {'fast med/p95 ms':>17} {'ratio':>6}")
        for name, row in per_image.items():
            print(
                f"{name:34} {row['naive_median_ms']:>8.0f} /{row['naive_p95_ms']:>6.0f}"
                f"    {row['fast_median_ms']:>6.0f} /{row['fast_p95_ms']:>5.0f}   {row['ratio']:>5.1f}x"
            )
        print(
            f"\nall images x {args.rounds} rounds: naive median {report['naive_median_ms']} ms "
            f"(p95 {report['naive_p95_ms']}), fast median {report['fast_median_ms']} ms "
            f"(p95 {report['fast_p95_ms']}): {report['median_ratio']}x faster "
            f"(p95 {report['p95_ratio']}x)"
        )
        print(
            f"faces found naive {len(naive_enc)}/{len(images)}, fast {len(fast_enc)}/{len(images)}; "
            f"pair decisions agree {agree}/{report['pairs']}; naive {naive_rates['counts']}; "
            f"fast {fast_rates['counts']}; descriptor shift mean {report['encoding_shift_mean']} "
            f"max {report['encoding_shift_max']}"
        )
    if args.require_ratio and ratio < args.require_ratio:
        print(f"FAIL: {ratio:.1f}x < required {args.require_ratio}x", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
