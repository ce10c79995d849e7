"""The 256-byte base text a GA/T 467 reader returns, by card layout (UCS-2LE fields).

Layouts known here, told apart by the card-type character at byte 248:
- blank: resident ID card (居民身份证): name, sex, ethnic group (GB 3304), birth date,
  address, ID number, issuing authority, validity;
- "J": Hong Kong/Macao/Taiwan residence permit (港澳台居民居住证): as the resident ID but no
  ethnic group, plus pass number and issue count;
- "I": foreign permanent resident ID card, 2017 layout (外国人永久居留身份证);
- "Y": foreign permanent resident ID card, 2023 layout (新版永居证, issued from December
  2023 by the National Immigration Administration): Chinese name, sex, renewal count, birth
  date, English name (35 + 11 characters in two fields), the 18-digit number (first digit 9,
  MOD 11-2 check digit like the resident ID), validity, nationality code, and a link to the
  holder's earlier 15-character number.
Anything else is `UnknownLayout`: the driver reports it and never guesses.
"""

from __future__ import annotations

import re
from datetime import date

from hardware.cards.document import DocumentType, IdentityDocument, PassiveAuth, ReadingMethod
from hardware.cards.errors import InvalidIdNumber, MalformedCardData, UnknownLayout
from hardware.cards.manual import check_digit, validate_cn_id

TEXT_LENGTH = 256

ETHNIC_GROUPS = dict(enumerate(
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 "
    "怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺".split(),
    start=1,
)) | {97: "其他", 98: "外国血统中国籍人士"}  # fmt: skip

_SEX = {"1": "M", "2": "F"}
_HMT_REGION = {"81": "HKG", "82": "MAC", "83": "TWN"}


def _date(text: str, what: str) -> date:
    if not re.fullmatch("[0-9]{8}", text):
        raise MalformedCardData(f"{what} {text!r} is not a date")
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise MalformedCardData(f"{what} {text!r} is not a date") from None


def _until(text: str) -> tuple[date | None, str]:
    if text.startswith("长期"):
        return None, "长期"
    return _date(text, "validity end"), text


def _number(text: str) -> str:
    try:
        return validate_cn_id(text)
    except InvalidIdNumber as exc:
        raise MalformedCardData(f"ID number from the card fails validation: {exc.en}") from exc


def card_type(text: bytes) -> str:
    if len(text) != TEXT_LENGTH:
        raise MalformedCardData(f"base text is {len(text)} bytes, expected {TEXT_LENGTH}")
    return text[248:250].decode("utf-16-le", "replace").strip("\x00 ")


def parse_base_text(text: bytes, *, photo: bytes | None, raw: dict[str, str]) -> IdentityDocument:
    """An IdentityDocument from the base text; MalformedCardData / UnknownLayout on trouble."""
    kind = card_type(text)
    try:
        s = text.decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise MalformedCardData("base text is not UCS-2") from exc

    def f(a: int, b: int) -> str:
        return s[a:b].strip("\x00 ")

    if kind == "":
        nation = f(16, 18)
        if not re.fullmatch("[0-9]{2}", nation) or int(nation) not in ETHNIC_GROUPS:
            raise MalformedCardData(f"ethnic group code {nation!r} is not in GB 3304")
        until, until_text = _until(f(102, 110))
        return IdentityDocument(
            doc_type=DocumentType.CN_RESIDENT_ID,
            number=_number(f(61, 79)),
            name=f(0, 15),
            reading_method=ReadingMethod.GAT467_SERIAL,
            sex=_SEX.get(f(15, 16), ""),
            birth_date=_date(f(18, 26), "birth date"),
            nationality="CHN",
            valid_from=_date(f(94, 102), "validity start"),
            valid_until=until,
            photo=photo,
            passive_auth=PassiveAuth.NOT_APPLICABLE,
            extra={
                "ethnic_group": ETHNIC_GROUPS[int(nation)],
                "ethnic_code": nation,
                "address": f(26, 61),
                "issuing_authority": f(79, 94),
                "valid_until_text": until_text,
            },
            raw=raw,
        )
    if kind == "J":
        number = _number(f(61, 79))
        until, until_text = _until(f(102, 110))
        return IdentityDocument(
            doc_type=DocumentType.CN_HMT_RESIDENCE,
            number=number,
            name=f(0, 15),
            reading_method=ReadingMethod.GAT467_SERIAL,
            sex=_SEX.get(f(15, 16), ""),
            birth_date=_date(f(18, 26), "birth date"),
            nationality=_HMT_REGION.get(number[:2], ""),
            valid_from=_date(f(94, 102), "validity start"),
            valid_until=until,
            photo=photo,
            passive_auth=PassiveAuth.NOT_APPLICABLE,
            extra={
                "address": f(26, 61),
                "issuing_authority": f(79, 94),
                "pass_number": f(110, 119),
                "issue_count": f(119, 121),
                "valid_until_text": until_text,
            },
            raw=raw,
        )
    if kind == "I":
        number = f(61, 76)
        if not re.fullmatch("[A-Z]{3}[0-9]{12}", number):
            raise MalformedCardData(f"foreign permanent resident number {number!r} malformed")
        until, until_text = _until(f(102, 110))
        english, chinese = f(0, 60), f(79, 94)
        return IdentityDocument(
            doc_type=DocumentType.CN_FOREIGN_PERMANENT,
            number=number,
            name=chinese or english,
            reading_method=ReadingMethod.GAT467_SERIAL,
            sex=_SEX.get(f(60, 61), ""),
            birth_date=_date(f(110, 118), "birth date"),
            nationality=f(76, 79),
            valid_from=_date(f(94, 102), "validity start"),
            valid_until=until,
            photo=photo,
            passive_auth=PassiveAuth.NOT_APPLICABLE,
            extra={
                "english_name": english,
                "chinese_name": chinese,
                "card_version": f(118, 120),
                "issuing_authority_code": f(120, 124),
                "valid_until_text": until_text,
            },
            raw=raw,
        )
    if kind == "Y":
        return _foreign_2023(s, photo, raw)
    raise UnknownLayout(f"card type character {kind!r}")


def validate_foreign_2023(number: str, birth: date) -> str:
    """The 2023 permanent resident number: 9, region (2), nationality (3 digits), birth date
    (8), sequence (3), MOD 11-2 check character. MalformedCardData if not."""
    if not re.fullmatch("9[0-9]{16}[0-9X]", number):
        raise MalformedCardData(f"permanent resident number {number!r} malformed")
    if check_digit(number[:17]) != number[17]:
        raise MalformedCardData("permanent resident number check digit does not match")
    if number[6:14] != birth.strftime("%Y%m%d"):
        raise MalformedCardData("permanent resident number does not carry the birth date")
    return number


def _foreign_2023(s: str, photo: bytes | None, raw: dict[str, str]) -> IdentityDocument:
    def f(a: int, b: int) -> str:
        return s[a:b].strip("\x00 ")

    born = _date(f(18, 26), "birth date")
    number = validate_foreign_2023(f(61, 79), born)
    until, until_text = _until(f(102, 110))
    # one name in two fields: a space at the split belongs to the name, so join unstripped
    english = (s[26:61] + s[110:121]).strip("\x00 ")
    chinese = f(0, 15)
    nationality = f(121, 124)
    return IdentityDocument(
        doc_type=DocumentType.CN_FOREIGN_PERMANENT,
        number=number,
        name=chinese or english,
        reading_method=ReadingMethod.GAT467_SERIAL,
        sex=_SEX.get(f(15, 16), ""),
        birth_date=born,
        nationality=nationality if re.fullmatch("[A-Z]{3}", nationality) else "",
        valid_from=_date(f(94, 102), "validity start"),
        valid_until=until,
        photo=photo,
        passive_auth=PassiveAuth.NOT_APPLICABLE,
        extra={
            "english_name": english,
            "chinese_name": chinese,
            "card_version": "2023",
            "renewal_count": f(16, 18),
            "nationality_code": nationality,
            "nationality_number": number[3:6],
            "earlier_number_link": f(125, 128),
            "valid_until_text": until_text,
        },
        raw=raw,
    )


def encode_base_text(fields: list[tuple[int, str]]) -> bytes:
    """Build a 256-byte base text from (char offset, text) pairs, blank-padded (emulator)."""
    chars = [" "] * (TEXT_LENGTH // 2)
    for start, value in fields:
        for i, ch in enumerate(value):
            chars[start + i] = ch
    return "".join(chars).encode("utf-16-le")
