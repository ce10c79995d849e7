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


_A2 = [
    (
        "男，58岁。持续性胸骨后压榨样疼痛2小时，伴大汗。心电图示V1~V4导联ST段弓背向上抬高。"
        "最可能的诊断是",
        ["稳定型心绞痛", "急性前壁心肌梗死", "急性心包炎", "主动脉夹层", "肺栓塞"],
        "B",
    ),
    (
        "女，25岁。发热、咽痛3天，双侧扁桃体Ⅱ度肿大，表面有黄白色脓点。首选的治疗药物是",
        ["青霉素", "利巴韦林", "阿奇霉素", "甲硝唑", "氟康唑"],
        "A",
    ),
]
_CASES = [
    (
        "A3",
        "女，32岁。发热、咳嗽5天，体温39.2℃，右下肺可闻及湿啰音。血白细胞15×10⁹/L，"
        "中性粒细胞0.86。",
        [
            (
                "最可能的诊断是",
                ["急性支气管炎", "肺炎链球菌肺炎", "肺结核", "肺脓肿", "支气管扩张"],
                "B",
            ),
            (
                "为明确诊断，首选的检查是",
                ["胸部X线片", "支气管镜", "肺功能", "胸部MRI", "血气分析"],
                "A",
            ),
            ("首选的抗菌药物是", ["青霉素", "庆大霉素", "甲硝唑", "异烟肼", "氟康唑"], "A"),
        ],
    ),
    (
        "A4",
        "男，65岁。突发言语不清、右侧肢体无力3小时。既往高血压病史10年。血压170/100 mmHg。",
        [
            (
                "为鉴别脑出血与脑梗死，首选的检查是",
                ["头颅CT", "头颅MRI", "脑电图", "腰椎穿刺", "经颅多普勒"],
                "A",
            ),
            (
                "检查未见出血，发病4.5小时内首选的治疗是",
                ["静脉溶栓", "手术减压", "抗血小板", "降颅压", "高压氧"],
                "A",
            ),
            (
                "病情稳定后二级预防应长期服用",
                ["阿司匹林", "华法林", "尿激酶", "甘露醇", "硝苯地平"],
                "A",
            ),
        ],
    ),
]
_B1 = [
    (
        ["肝", "脾", "肾", "心", "肺"],
        [("合成尿素的主要器官是", "A"), ("产生尿液的器官是", "C"), ("进行气体交换的器官是", "E")],
    ),
    (
        ["维生素A", "维生素B1", "维生素C", "维生素D", "维生素K"],
        [("缺乏可引起夜盲症的是", "A"), ("缺乏可引起坏血病的是", "C")],
    ),
]


def _png(width: int = 360, height: int = 180) -> str:
    """A small picture for the demo's picture items: a chest-film-like grey gradient."""
    import io

    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((width, height))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.18, height * 0.15, width * 0.45, height * 0.9), outline=235, width=4)
    draw.ellipse((width * 0.55, height * 0.15, width * 0.82, height * 0.9), outline=235, width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def _options(texts: list[str]) -> list[dict[str, str]]:
    return [{"key": "ABCDE"[k], "text": t} for k, t in enumerate(texts)]


def paper(items: int = 30) -> dict[str, Any]:
    """A paper of exactly `items` items. From 20 items on, every item type, as the medical
    exams have them: A1 (one with a picture) and A2; an A3 and an A4 case group; two B1
    groups sharing their options; X (multiple answers); true/false. Smaller papers (quick
    tests) are A1, X and true/false. Stems carry no numbers: the seat numbers items."""
    full = items >= 20
    cases_used = _CASES if full else []
    b1_used = _B1 if full else []
    n_case = sum(len(q) for _k, _c, q in cases_used)
    n_b1 = sum(len(q) for _o, q in b1_used)
    n_x = max(1, items // (10 if full else 5))
    n_tf = max(1, items // (10 if full else 6))
    n_a2 = len(_A2) if full else 0
    n_a1 = items - n_case - n_b1 - n_x - n_tf - n_a2
    a1: list[dict[str, Any]] = [
        {
            "item_id": f"A1-{i + 1:03d}",
            "kind": "A1",
            "stem": _A1[i % len(_A1)][0],
            "options": _options(_A1[i % len(_A1)][1]),
            "answer": [_A1[i % len(_A1)][2]],
            "score": 1,
        }
        for i in range(n_a1)
    ]
    if full:
        a1[-1] = {
            "item_id": f"A1-{n_a1:03d}",
            "kind": "A1",
            "stem": "患者胸部X线片如图所示，双肺野透亮度正常。图中所示检查属于",
            "options": _options(["X线平片", "CT", "MRI", "超声", "核素显像"]),
            "answer": ["A"],
            "score": 1,
            "image": {"media_type": "image/png", "data_b64": _png()},
        }
    a2 = [
        {
            "item_id": f"A2-{i + 1:03d}",
            "kind": "A2",
            "stem": stem,
            "options": _options(options),
            "answer": [answer],
            "score": 1,
        }
        for i, (stem, options, answer) in enumerate(_A2[:n_a2])
    ]
    cases = [
        {
            "item_id": f"{kind}-{g + 1}-{q + 1}",
            "kind": kind,
            "stem": stem,
            "options": _options(options),
            "answer": [answer],
            "score": 1,
            "group": {"group_id": f"CASE-{g + 1}", "stem": case},
        }
        for g, (kind, case, questions) in enumerate(cases_used)
        for q, (stem, options, answer) in enumerate(questions)
    ]
    b1 = [
        {
            "item_id": f"B1-{g + 1}-{q + 1}",
            "kind": "B1",
            "stem": stem,
            "options": _options(options),
            "answer": [answer],
            "score": 1,
            "group": {"group_id": f"B1-{g + 1}", "stem": ""},
        }
        for g, (options, questions) in enumerate(b1_used)
        for q, (stem, answer) in enumerate(questions)
    ]
    x = [
        {
            "item_id": f"X-{i + 1:03d}",
            "kind": "X",
            "stem": _X[i % len(_X)][0],
            "options": _options(_X[i % len(_X)][1]),
            "answer": _X[i % len(_X)][2],
            "score": 2,
        }
        for i in range(n_x)
    ]
    tf = [
        {
            "item_id": f"TF-{i + 1:03d}",
            "kind": "TF",
            "stem": _TF[i % len(_TF)][0],
            "options": [{"key": "A", "text": "正确"}, {"key": "B", "text": "错误"}],
            "answer": [_TF[i % len(_TF)][1]],
            "score": 1,
        }
        for i in range(n_tf)
    ]
    if not full:
        return {
            "sections": [
                {"section_id": "S1", "title": "A1型题（单选）", "items": a1},
                {"section_id": "S2", "title": "X型题（多选）", "items": x},
                {"section_id": "S3", "title": "判断题", "items": tf},
            ]
        }
    return {
        "sections": [
            {"section_id": "S1", "title": "A1/A2型题（单选）", "items": a1 + a2},
            {"section_id": "S2", "title": "A3/A4型题（病例组）", "items": cases},
            {"section_id": "S3", "title": "B1型题（配伍）", "items": b1},
            {"section_id": "S4", "title": "X型题（多选）与判断题", "items": x + tf},
        ]
    }
