"""Long fuzz run of the card parsers (TLV/ASN.1, EF.SOD, DG2, eID, GA/T 467, MRZ).

    .venv/bin/python benchmarks/fuzz_cards.py --seconds 600 [--target sod]

With `atheris` installed (pip install atheris) it runs coverage-guided, one target
(`--target`, default tlv); otherwise a seeded random mutator runs every target in turn.
Any exception other than the documented CardError subclasses is printed with its input
(hex) and the script exits 1. Prints executions per second per target.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hardware.cards.fuzz_targets import TARGETS
from tests.hardware.cards.test_fuzz_parsers import SEEDS


def mutate(rng: random.Random, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(rng.randint(1, 8)):
        op = rng.randint(0, 4)
        pos = rng.randint(0, max(0, len(data) - 1))
        if op == 0 and data:
            data[pos] = rng.randint(0, 255)
        elif op == 1:
            del data[pos:]
        elif op == 2:
            data[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif op == 3 and data:
            del data[pos : pos + rng.randint(1, 32)]
        elif data:
            data[pos] ^= 1 << rng.randint(0, 7)
    return bytes(data)


def run_random(seconds: float, seed: int) -> int:
    rng = random.Random(seed)
    per_target = seconds / len(TARGETS)
    failures = 0
    for name, target in TARGETS.items():
        end = time.monotonic() + per_target
        count = 0
        while time.monotonic() < end:
            data = (
                mutate(rng, rng.choice(SEEDS[name]))
                if rng.random() < 0.8
                else rng.randbytes(rng.randint(0, 300))
            )
            try:
                target(data)
            except Exception:
                failures += 1
                print(f"[{name}] input {data.hex()}")
                traceback.print_exc()
                if failures > 5:
                    return 1
            count += 1
        print(f"{name:>13}: {count:>8} inputs, {count / per_target:,.0f}/s")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--target", default="tlv", choices=sorted(TARGETS))
    parser.add_argument("--seed", type=int, default=1)
    args, rest = parser.parse_known_args()
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        atheris = None
    if atheris is None:
        return run_random(args.seconds, args.seed)
    target = TARGETS[args.target]
    atheris.Setup([sys.argv[0], f"-max_total_time={int(args.seconds)}", *rest], target)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
