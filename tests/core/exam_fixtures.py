"""A seat station provisioned directly, with a hand-written paper of every item type.

No exam package is involved: rows go straight into the store, so the engine's tests do not
depend on the package format. `FakeClock` lets a test move monotonic and wall time apart.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from examkiosk.core.provision import provision_station
from examkiosk.core.station import Station
from sync.crypto import KeyPair

PASSPHRASE = "exam-engine-tests-0001"


def _png(width: int = 48, height: int = 60) -> str:
    """A small valid PNG (a grey gradient): enough to prove images travel with items."""
    from io import BytesIO

    from PIL import Image

    image = Image.linear_gradient("L").resize((width, height))
    out = BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


PNG = _png()


class FakeClock:
    """Wall and monotonic time a test moves by hand."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall_time = datetime(2026, 11, 22, 9, 0, tzinfo=timezone(timedelta(hours=8)))

    def wall(self) -> datetime:
        return self.wall_time

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall_time += timedelta(seconds=seconds)

    def jump_wall(self, delta: timedelta) -> None:
        self.wall_time += delta


def _opts(*texts: str) -> list[dict[str, Any]]:
    return [{"key": "ABCDE"[i], "text": t} for i, t in enumerate(texts)]


def paper_sections() -> list[dict[str, Any]]:
    five = ("甲", "乙", "丙", "丁", "戊")
    b1_options = _opts("肝", "脾", "肾", "心", "肺")
    return [
        {
            "section_id": "S1",
            "title": "第一部分 A型题",
            "items": [
                {
                    "item_id": "A1-1",
                    "kind": "A1",
                    "stem": "成人胸外按压频率为",
                    "options": _opts(*five),
                    "answer": ["C"],
                    "score": 1,
                    "image": {"media_type": "image/png", "data_b64": PNG},
                },
                {
                    "item_id": "A2-1",
                    "kind": "A2",
                    "stem": "男，45岁，胸痛2小时。最可能的诊断是",
                    "options": _opts(*five),
                    "answer": ["A"],
                    "score": 1,
                },
                {
                    "item_id": "A3-1",
                    "kind": "A3",
                    "stem": "首选检查是",
                    "options": _opts(*five),
                    "answer": ["B"],
                    "score": 1,
                    "group": {"group_id": "G1", "stem": "女，30岁，发热3天伴咳嗽。"},
                },
                {
                    "item_id": "A3-2",
                    "kind": "A3",
                    "stem": "首选治疗是",
                    "options": _opts(*five),
                    "answer": ["D"],
                    "score": 1,
                    "group": {"group_id": "G1", "stem": "女，30岁，发热3天伴咳嗽。"},
                },
                {
                    "item_id": "A4-1",
                    "kind": "A4",
                    "stem": "下一步处理",
                    "options": _opts(*five),
                    "answer": ["E"],
                    "score": 1,
                    "group": {"group_id": "G2", "stem": "男，60岁，突发意识障碍。"},
                },
            ],
        },
        {
            "section_id": "S2",
            "title": "第二部分 B1型题",
            "items": [
                {
                    "item_id": "B1-1",
                    "kind": "B1",
                    "stem": "合成尿素的器官",
                    "options": b1_options,
                    "answer": ["A"],
                    "score": 1,
                    "group": {"group_id": "B1G", "stem": ""},
                },
                {
                    "item_id": "B1-2",
                    "kind": "B1",
                    "stem": "产生尿液的器官",
                    "options": b1_options,
                    "answer": ["C"],
                    "score": 1,
                    "group": {"group_id": "B1G", "stem": ""},
                },
            ],
        },
        {
            "section_id": "S3",
            "title": "第三部分 X型题与判断题",
            "items": [
                {
                    "item_id": "X-1",
                    "kind": "X",
                    "stem": "属于核心制度的有",
                    "options": _opts("首诊负责", "三级查房", "交接班", "绩效考核"),
                    "answer": ["A", "B", "C"],
                    "score": 2,
                },
                {
                    "item_id": "TF-1",
                    "kind": "TF",
                    "stem": "手卫生是预防感染最有效的措施。",
                    "options": [{"key": "A", "text": "正确"}, {"key": "B", "text": "错误"}],
                    "answer": ["A"],
                    "score": 1,
                },
            ],
        },
    ]


def provision_exam_station(
    data_dir: Path,
    clock: Any,
    *,
    settings: dict[str, Any] | None = None,
    lock_s1: bool = True,
    duration_minutes: float = 60,
    station_id: str = "ST-SEAT-T",
) -> Station:
    """A seat station holding a sitting of two candidates (one admitted) and the paper.
    The package lists no stations: `list_stations` adds the venue's (transfers need them)."""
    station = provision_station(
        data_dir,
        station_id=station_id,
        venue_id="V-T",
        mode="seat",
        central=KeyPair.generate().public(),
        passphrase=PASSPHRASE,
        clock=clock,
    )
    sections = paper_sections()
    content = {
        "exam": {
            "exam_id": "EX-T",
            "title": "测试考试",
            "sitting_id": "S-T",
            "duration_minutes": duration_minutes,
        },
        "duration_minutes": duration_minutes,
        "settings": {
            "outage_policy": "pause",
            "pause_limit_minutes": 10,
            "resume_grace_seconds": 120,
            "warn_minutes": [15, 5],
            "resume_secret": "ab" * 32,
            **(settings or {}),
        },
        "sections": [
            {
                "section_id": s["section_id"],
                "title": s["title"],
                "lock_on_leave": lock_s1 and s["section_id"] == "S1",
            }
            for s in sections
        ],
    }
    with station.store.transaction() as conn:
        conn.execute(
            "INSERT INTO packages VALUES ('EX-T', 1, 'S-T', 'V-T', '{}', ?, '2026-11-22')",
            (json.dumps(content, ensure_ascii=False, sort_keys=True),),
        )
        for n, (cid, ticket, name, idn) in enumerate(
            [
                ("C1", "T0001", "张三", "110105199001011234"),
                ("C2", "T0002", "李四", "11010519900202123X"),
            ]
        ):
            conn.execute(
                "INSERT INTO candidates VALUES (?, ?, ?, ?, ?, 'S-T', ?, NULL)",
                (cid, ticket, name, idn, f"{n + 1:02d}", base64.b64decode(PNG)),
            )
        conn.execute(
            "INSERT INTO checkins (candidate_id, decision, at, method, doc_type, reading_method, "
            "passive_auth, face_decision) VALUES ('C1', 'admitted', '2026-11-22T08:30', 'card', "
            "'cn_resident_id', 'simulated', 'not_applicable', 'match')"
        )
        position = 0
        for s in sections:
            for item in s["items"]:
                position += 1
                conn.execute(
                    "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
                    (
                        item["item_id"],
                        s["section_id"],
                        position,
                        item["kind"],
                        json.dumps(item, ensure_ascii=False, sort_keys=True),
                    ),
                )
    return station


def list_stations(*stations: Station) -> None:
    """Write the venue's stations and signing keys into each one's package content, as the
    centre's `issue_package` does for the stations registered for the venue."""
    listed = [
        {"station_id": s.station_id, "sign_key": s.keys().public().sign.hex()} for s in stations
    ]
    for station in stations:
        with station.store.transaction() as conn:
            content = json.loads(conn.execute("SELECT content_json FROM packages").fetchone()[0])
            content["stations"] = listed
            conn.execute("UPDATE packages SET content_json = ?", (json.dumps(content),))
