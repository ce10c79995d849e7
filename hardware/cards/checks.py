"""Each chip check in words for the door and the command line (zh and en), with the rule
for what the station recommends: a failed check refuses, a check that was possible but not
made asks for review, a check the chip does not offer changes nothing."""

from __future__ import annotations

from hardware.cards.document import Check, CheckResult, PassiveAuth
from hardware.cards.sod import PassiveAuthResult

_PASSIVE: dict[PassiveAuth, tuple[CheckResult, str, str]] = {
    PassiveAuth.PASSED: (
        CheckResult.PASSED,
        "通过：芯片数据未被改动，签名来自名单内签发机构（CSCA）",
        "Passed: chip data unaltered and signed under a listed issuing authority (CSCA)",
    ),
    PassiveAuth.FAILED: (
        CheckResult.FAILED,
        "失败：芯片数据被改动，或签名、签发机构不符",
        "FAILED: chip data altered, or the signature or its issuing authority is wrong",
    ),
    PassiveAuth.NO_CSCA: (
        CheckResult.NOT_CHECKED,
        "未核验（未配置 CSCA 列表）：数据与签名一致，但无法确认签名者",
        "Not checked (no CSCA list): data and signature agree, but the signer is unconfirmed",
    ),
    PassiveAuth.UNKNOWN_CSCA: (
        CheckResult.NOT_CHECKED,
        "未核验：签发机构不在已配置的 CSCA 列表中",
        "Not checked: the issuing authority is not in the configured CSCA list",
    ),
    PassiveAuth.NOT_CHECKED: (
        CheckResult.NOT_CHECKED,
        "未核验：芯片没有可核验的安全对象（EF.SOD）",
        "Not checked: the chip has no security object (EF.SOD) to check",
    ),
    PassiveAuth.NOT_APPLICABLE: (CheckResult.NOT_SUPPORTED, "不适用", "Not applicable"),
}


def passive_check(result: PassiveAuthResult) -> Check:
    outcome, zh, en = _PASSIVE[result.status]
    return Check("passive", outcome, zh, en, result.detail)


def not_offered(kind: str, zh_what: str, en_what: str) -> Check:
    """A check this chip does not offer (no DG15 / no DG14)."""
    return Check(
        kind,
        CheckResult.NOT_SUPPORTED,
        f"芯片不支持{zh_what}（无法据此识别克隆芯片）",
        f"The chip does not offer {en_what} (cannot rule out a cloned chip this way)",
    )


def needs_review(checks: tuple[Check, ...]) -> bool:
    return any(c.result == CheckResult.NOT_CHECKED for c in checks)


def any_failed(checks: tuple[Check, ...]) -> bool:
    return any(c.result == CheckResult.FAILED for c in checks)
