"""Hired-gun detection: the exact all-pairs search, the index, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from sync.central.hired_gun import MATCH_DISTANCE, all_pairs, indexed_pairs

from .conftest import Central
from .console_data import SITTING, exam_day

REPO = Path(__file__).resolve().parents[3]


def people(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, 128))
    return v / np.linalg.norm(v, axis=1, keepdims=True) * 0.65


def test_all_pairs_finds_exactly_the_close_pairs_of_different_candidates() -> None:
    rng = np.random.default_rng(5)
    v = people(300)
    owners = [f"C{i}" for i in range(300)]
    v[10] = v[200] + rng.normal(scale=0.02, size=128)  # C10 is C200's hired gun
    v[11] = v[12] + rng.normal(scale=0.02, size=128)  # C11 and C12: the same person...
    owners[11] = "C12"  # ...and the same candidate (refused, then admitted): not a pair
    expected = {
        (i, j)
        for i in range(300)
        for j in range(i + 1, 300)
        if owners[i] != owners[j] and np.linalg.norm(v[i] - v[j]) <= MATCH_DISTANCE
    }
    # Small blocks so the search crosses block edges.
    found = all_pairs(v, owners, block=64)
    assert {(p.a, p.b) for p in found} == expected == {(10, 200)}
    assert abs(found[0].distance - np.linalg.norm(v[10] - v[200])) < 1e-6
    assert all_pairs(np.zeros((0, 128)), []) == []


def test_the_index_finds_the_same_hired_guns() -> None:
    rng = np.random.default_rng(9)
    v = people(5000)
    owners = [f"C{i}" for i in range(5000)]
    for k in range(20):  # 20 people each sitting for a second candidate
        v[k] = v[4000 + k] + rng.normal(scale=0.02, size=128)
    exact = {(p.a, p.b) for p in all_pairs(v, owners)}
    assert exact == {(k, 4000 + k) for k in range(20)}
    assert {(p.a, p.b) for p in indexed_pairs(v, owners)} == exact


def test_command_line_lists_the_pair_across_venues(central: Central) -> None:
    day = exam_day(central.home)
    answer = subprocess.run(
        [sys.executable, "-m", "sync.central.cli", "--home", str(central.path),
         "--db", central.home.db_url, "hired-guns", "--sitting", SITTING, "--json"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert answer.returncode == 1, answer.stderr  # 1: pairs found
    report = json.loads(answer.stdout)
    assert report["compared"] == 5  # C006 had no usable face
    (pair,) = report["pairs"]
    assert {pair["a"]["candidate_id"], pair["b"]["candidate_id"]} == set(day.hired_gun)
    assert {pair["a"]["venue_id"], pair["b"]["venue_id"]} == {"V-A", "V-B"}
    clean = subprocess.run(
        [sys.executable, "-m", "sync.central.cli", "--home", str(central.path),
         "--db", central.home.db_url, "hired-guns", "--sitting", "S-OTHER"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert clean.returncode == 0 and "0 pairs" in clean.stdout
