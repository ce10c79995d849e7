"""What the exam engine refuses, in words a candidate or invigilator can act on."""

from __future__ import annotations

from typing import Any

from examkiosk.core.errors import Refused


class ResumeCodeRequired(Refused):
    """The attempt was interrupted longer than the venue allows: an invigilator's code is
    needed. `request` is what the seat shows for the invigilator's tool."""

    def __init__(self, request: str, outage_ms: int) -> None:
        minutes = max(1, round(outage_ms / 60_000))
        super().__init__(
            f"作答中断约 {minutes} 分钟，需要监考员输入续考码才能继续。请举手示意。"
            f"续考请求码：{request}",
            f"The exam was interrupted for about {minutes} min; an invigilator must enter a "
            f"resume code to continue. Raise your hand. Request: {request}",
            detail=request,
        )
        self.request = request
        self.outage_ms = outage_ms


class WrongResumeCode(Refused):
    def __init__(self) -> None:
        super().__init__(
            "续考码不正确或已使用过。请监考员核对请求码后重新生成。",
            "The resume code is wrong or already used. The invigilator should check the "
            "request and generate the code again.",
        )


class SectionLocked(Refused):
    def __init__(self, title: str) -> None:
        super().__init__(
            f"“{title}”已离开并锁定，不能再返回修改。",
            f"You have left “{title}”; it is locked and cannot be changed.",
            detail=title,
        )


class SessionMoved(Refused):
    """Another seat (or a restarted program) has taken this attempt over."""

    def __init__(self) -> None:
        super().__init__(
            "本场作答已在其他座位或重新启动的程序中继续，本屏幕不再保存答案。请举手示意监考员。",
            "This attempt now continues on another seat or in a restarted program; this "
            "screen no longer saves answers. Raise your hand for the invigilator.",
        )


class AttemptClosed(Refused):
    def __init__(self, state: str) -> None:
        if state == "transferred":
            zh, en = (
                "本场作答已转移到备用机，请到备用机继续作答。",
                "This attempt was moved to a spare station; continue there.",
            )
        else:
            zh, en = (
                "本场作答已提交，不能再修改答案。",
                "This attempt is submitted; answers can no longer change.",
            )
        super().__init__(zh, en, detail=state)
        self.state = state


class TimeUp(Refused):
    """Time ran out: the engine submitted the attempt; `receipt` is its receipt."""

    def __init__(self, receipt: Any) -> None:
        super().__init__(
            "考试时间已到，系统已自动交卷。",
            "Time is up; the exam was submitted automatically.",
        )
        self.receipt = receipt
