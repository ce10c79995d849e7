"""Content of the demo venue: a roster of candidates and a short paper, made up but shaped
like a real sitting of the medical qualification exams."""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hardware.cards.manual import check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class FacePhotos:
    """One identity's photos: the roster photo, and the others the camera may 'see' (in order
    of preference; the roster photo itself when there is no other)."""

    identity: str
    roster: Path
    others: tuple[Path, ...]


def face_sets(faces_dir: Path | None) -> list[FacePhotos]:
    """Identities in a faces folder (`IDENTITY_N.ext`, in it or in its `single/`)."""
    if faces_dir is None:
        return []
    folder = faces_dir / "single" if (faces_dir / "single").is_dir() else faces_dir
    by_identity: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        stem, _, number = path.stem.rpartition("_")
        if path.suffix.lower() in PHOTO_SUFFIXES and stem and number.isdigit():
            by_identity.setdefault(stem, []).append(path)
    return [
        FacePhotos(identity, photos[0], tuple(photos[1:]) or (photos[0],))
        for identity, photos in sorted(by_identity.items())
    ]


def id_number(rng: random.Random, birth: date, sex_odd: bool) -> str:
    order = rng.randrange(0, 50) * 2 + (1 if sex_odd else 0)
    first17 = f"110105{birth:%Y%m%d}{rng.randrange(0, 10)}{order:02d}"
    return first17 + check_digit(first17)


def roster(
    count: int, sitting_id: str, faces: list[FacePhotos], seed: int = 7
) -> list[dict[str, Any]]:
    """`count` candidates; the first len(faces) get a roster photo of a distinct identity."""
    rng = random.Random(seed)
    people = []
    for i in range(count):
        birth = date(1990, 1, 1) + timedelta(days=rng.randrange(0, 3650))
        entry: dict[str, Any] = {
            "candidate_id": f"C{i + 1:05d}",
            "ticket": f"2026{sitting_id[-4:]}{i + 1:04d}",
            "name": rng.choice(SURNAMES)
            + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            "id_number": id_number(rng, birth, rng.random() < 0.5),
            "birth_date": birth.isoformat(),
            "seat": f"{i + 1:02d}",
        }
        if i < len(faces):
            entry["photo_b64"] = base64.b64encode(faces[i].roster.read_bytes()).decode()
            entry["face_identity"] = faces[i].identity
        people.append(entry)
    return people


_A1 = [
    (
        "成人心肺复苏时胸外按压的频率为",
        ["60~80次/分", "80~100次/分", "100~120次/分", "120~140次/分", "140次/分以上"],
        "C",
    ),
    (
        "正常成人空腹血糖的参考范围是",
        ["2.8~3.9 mmol/L", "3.9~6.1 mmol/L", "6.1~7.0 mmol/L", "7.0~8.0 mmol/L", "8.0~11.1 mmol/L"],
        "B",
    ),
    (
        "青霉素过敏性休克首选的抢救药物是",
        ["多巴胺", "地塞米松", "肾上腺素", "异丙肾上腺素", "去甲肾上腺素"],
        "C",
    ),
    ("下列属于甲类传染病的是", ["艾滋病", "霍乱", "肺结核", "乙型肝炎", "麻疹"], "B"),
    ("维生素K缺乏时最可能出现的是", ["夜盲症", "佝偻病", "凝血障碍", "坏血病", "脚气病"], "C"),
]
_X = [
    (
        "下列哪些属于医疗机构的核心制度",
        ["首诊负责制度", "三级查房制度", "交接班制度", "绩效考核制度"],
        ["A", "B", "C"],
    ),
    (
        "发生针刺伤后正确的处理有",
        ["从近心端向远心端挤压", "流动水冲洗", "消毒包扎", "立即上报"],
        ["B", "C", "D"],
    ),
]
_TF = [
    ("手卫生是预防医院感染最简单有效的措施。", "A"),
    ("处方一般不得超过7日用量。", "A"),
    ("静脉输液时可以在输液器中直接加入任何药物。", "B"),
]


def paper(items: int = 30) -> dict[str, Any]:
    """A paper of `items` items in three sections: A1, X (multiple answers), true/false."""
    n_x = max(1, items // 5)
    n_tf = max(1, items // 6)
    n_a1 = items - n_x - n_tf
    keys = "ABCDE"
    a1 = [
        {
            "item_id": f"A1-{i + 1:03d}",
            "kind": "A1",
            "stem": f"{i + 1}. {_A1[i % len(_A1)][0]}",
            "options": [{"key": keys[k], "text": t} for k, t in enumerate(_A1[i % len(_A1)][1])],
            "answer": [_A1[i % len(_A1)][2]],
            "score": 1,
        }
        for i in range(n_a1)
    ]
    x = [
        {
            "item_id": f"X-{i + 1:03d}",
            "kind": "X",
            "stem": f"{n_a1 + i + 1}. {_X[i % len(_X)][0]}",
            "options": [{"key": keys[k], "text": t} for k, t in enumerate(_X[i % len(_X)][1])],
            "answer": _X[i % len(_X)][2],
            "score": 2,
        }
        for i in range(n_x)
    ]
    tf = [
        {
            "item_id": f"TF-{i + 1:03d}",
            "kind": "TF",
            "stem": f"{n_a1 + n_x + i + 1}. {_TF[i % len(_TF)][0]}",
            "options": [{"key": "A", "text": "正确"}, {"key": "B", "text": "错误"}],
            "answer": [_TF[i % len(_TF)][1]],
            "score": 1,
        }
        for i in range(n_tf)
    ]
    return {
        "sections": [
            {"section_id": "S1", "title": "A1型题（单选）", "items": a1},
            {"section_id": "S2", "title": "X型题（多选）", "items": x},
            {"section_id": "S3", "title": "判断题", "items": tf},
        ]
    }
