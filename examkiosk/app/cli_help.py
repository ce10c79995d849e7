"""`--help` in Chinese by default (English with `--lang en` or EXAMKIOSK_LANG=en), click's
own words ("Usage:", "Options", error messages) included (cli_click_zh).

The commands keep their English help where they are defined (one text per command, next to
its code); this table gives the Chinese, keyed by the English text with its whitespace
folded. A text missing here shows in English, never empty: `missing()` lists them (the
test fails on any) so a new command gets its translation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import click

ZH = {
    "ExamKiosk 考点工作站: ID check-in, face check, offline exams, sync to the centre.": "ExamKiosk 考点工作站：身份证件核验、人脸比对、离线考试、与考试中心同步。",
    "Show the version and exit.": "显示版本号后退出。",
    "Show this message and exit.": "显示本帮助后退出。",
    "Language of messages (default zh_CN, or $EXAMKIOSK_LANG).": "提示语言（默认 zh_CN，或 $EXAMKIOSK_LANG）。",
    "Open the kiosk window (the default command).": "打开考点工作站窗口（默认命令）。",
    "Station data directory (default: $EXAMKIOSK_DATA_DIR, else ~/.local/share/examkiosk; on Windows %ProgramData%\\ExamKiosk).": "工作站数据目录（默认：$EXAMKIOSK_DATA_DIR，否则 ~/.local/share/examkiosk；Windows 上为 %ProgramData%\\ExamKiosk）。",
    "Which station screen to open (default: the station's own mode).": "打开哪个工作站界面（默认：本机的工作模式）。",
    "File holding the recovery passphrase (else $EXAMKIOSK_PASSPHRASE or a prompt).": "存放恢复口令的文件（否则用 $EXAMKIOSK_PASSPHRASE 或提示输入）。",
    "Build the demo venue if missing, then open it with simulated devices.": "如无演示考点则先建立，然后用模拟设备打开。",
    "Build the demo venue and exit.": "只建立演示考点，然后退出。",
    "Photos named IDENTITY_N.ext for roster photos and camera video.": "名为 IDENTITY_N.ext 的照片，用作名单照片和摄像头视频。",
    "The sitting's candidates.": "本场考生。",
    "Candidates with admission ticket, ID number, seat and check-in/exam state (an invigilator signs in; the viewing is audited).": "考生名单：准考证号、证件号码、座位、签到与作答状态（监考员登录；查看记入审计）。",
    "Your staff number (工号), else $EXAMKIOSK_STAFF.": "你的工号，否则用 $EXAMKIOSK_STAFF。",
    "File holding your password (else $EXAMKIOSK_STAFF_PASSWORD or a prompt).": "存放你的密码的文件（否则用 $EXAMKIOSK_STAFF_PASSWORD 或提示输入）。",
    "Headless venue rehearsal (考前演练) of the whole loop; non-zero exit if a stage fails.": "无界面的考前演练，走完整个流程；任一环节失败则以非零状态退出。",
    "USB sync bundles (.ekb).": "U 盘同步包（.ekb）。",
    "Export what the centre has not acknowledged yet (default), everything (--all) or one sitting (--sitting ID) to an encrypted, signed bundle, verified by reading it back. Ctrl-C cancels and leaves no partial file behind.": "把考试中心尚未确认的数据（默认）、全部数据（--all）或一场考试（--sitting ID）导出为加密签名的同步包，并读回校验。Ctrl-C 取消，不留残缺文件。",
    "Bundle file to write, or a folder (a USB stick) to write STATION-FIRST-LAST.ekb into.": "要写入的同步包文件，或一个文件夹（U 盘），在其中写入 STATION-FIRST-LAST.ekb。",
    "Everything of this sitting.": "本场考试的全部数据。",
    "Everything, acknowledged or not.": "全部数据，无论是否已确认。",
    "Print what was written as JSON.": "以 JSON 输出写入的内容。",
    "Check, without any key, that a bundle is whole; say which station, sitting and sequence range it holds. Exit status 1 (with --json) or 2 when it is not whole.": "无需密钥检查同步包是否完整，并说明其工作站、考试场次和序号范围。不完整时退出状态为 1（带 --json）或 2。",
    "List mounted removable drives (USB sticks, cards) to export onto.": "列出已挂载的可移动存储（U 盘、存储卡），供导出使用。",
    "ID card readers: list them, read a card.": "身份证件读卡器：列出读卡器，读取证件。",
    "PC/SC readers and their state, and serial ports a resident-ID reader may be on.": "PC/SC 读卡器及其状态，以及可能连接居民身份证阅读器的串口。",
    "Machine-readable output.": "机器可读的输出。",
    "Wait for a card, read it and print the identity document.": "等待刷证，读取并输出证件信息。",
    "PC/SC reader name (substring); default: any.": "PC/SC 读卡器名称（部分即可）；默认：任一。",
    "BAC key for passports.": "护照的 BAC 密钥。",
    "Print the document as JSON.": "以 JSON 输出证件信息。",
    "Seconds to wait for a card.": "等待刷证的秒数。",
    "Serial port of a GA/T 467 resident-ID reader.": "GA/T 467 居民身份证阅读器的串口。",
    "Vendor WLT photo decoder library (gat467).": "厂商提供的 WLT 照片解码库（gat467）。",
    "CSCA certificate files, comma-separated (pcsc).": "CSCA 证书文件，以逗号分隔（pcsc）。",
    "Offline exam engine (考试引擎): simulate, show, resume codes, spare stations.": "离线考试引擎：模拟作答、查看、续考码、备用机。",
    "Answer items of TICKET's attempt through the engine; `saved ITEM ANSWER` per commit. Only on a rehearsal or demo venue (the package says so), by a signed-in venue administrator; refused and audited anywhere else.": "通过考试引擎为 TICKET 的作答保存答案，每次提交输出 `saved ITEM ANSWER`。仅限演练或演示考点（由考试包指定），须考点管理员登录；其他情况拒绝并记入审计。",
    "Admission ticket (准考证号).": "准考证号。",
    "How many answers to save (default: every unanswered item).": "保存多少个答案（默认：所有未答题）。",
    "Pause between answers.": "两次作答之间的间隔。",
    "Seed for the answers chosen.": "选择答案所用的随机种子。",
    "Submit the attempt after answering.": "作答后交卷。",
    "The candidate's attempt as stored: state, remaining time, answers.": "已保存的考生作答：状态、剩余时间、答案。",
    "Acknowledge the proctoring incident SEQ (from `exam incidents --json`) with a note: an invigilator signs in (--staff); recorded once, with their name.": "以处理说明确认编号为 SEQ 的监考事件（编号见 `exam incidents --json`）：监考员登录（--staff）；只记录一次，并记下其姓名。",
    "What was done (required).": "处理情况（必填）。",
    "Proctoring incidents (监考抓拍异常) for the invigilator: absent, another face, several faces, no camera picture. The candidate's exam is never stopped by them.": "供监考员查看的监考抓拍异常：离座、换人、多人、摄像头无画面。考生的作答不会因此中断。",
    "The invigilator's resume code (续考码) for a candidate's request (signed in, audited).": "根据考生的续考请求码生成监考员续考码（须登录，记入审计）。",
    "The request shown on the seat (e.g. 3F2A9C1B-0); default: this station's attempt of the candidate.": "座位上显示的请求码（如 3F2A9C1B-0）；默认：该考生在本机的作答。",
    "Open a sealed paper with the password the centre releases at exam start (开考启封); a venue administrator signs in.": "用考试中心在开考时下发的密码启封试卷；须考点管理员登录。",
    "The paper password the exam centre releases at the start (prompted).": "考试中心开考时下发的试卷密码（提示输入）。",
    "Move a candidate's attempt to a spare station: write it to a signed file (.eka). An invigilator signs in (--staff); the event names them.": "把考生的作答转移到备用机：写入签名文件（.eka）。须监考员登录（--staff），事件记录其姓名。",
    "Continue an attempt here that another station of this venue exported. An invigilator signs in (--staff); a file not signed by a station the package lists is refused, audited, and changes nothing.": "在本机继续本考点另一工作站导出的作答。须监考员登录（--staff）；非考试包所列工作站签名的文件将被拒绝并记入审计，不做任何更改。",
    "Write the Excel question-bank template (.xlsx) with its column notes.": "生成带列说明的 Excel 题库模板（.xlsx）。",
    "Without the example rows.": "不含示例行。",
    "Check a question bank (.xlsx template, or QTI 2.1: .xml, folder or .zip) and write the paper as JSON for the exam package. Errors are listed by row and column (or file and line); nothing is written unless the whole bank is valid.": "检查题库（.xlsx 模板，或 QTI 2.1：.xml、文件夹或 .zip），并把试卷写成考试包使用的 JSON。错误按行列（或文件和行号）列出；题库全部有效才会写出。",
    "Face verification: compare photos, measure thresholds.": "人脸比对：比较照片，测定阈值。",
    "Compare the face in PROBE (e.g. a snapshot) with the one in REFERENCE (roster photo). Exit status: 0 match, 1 error, 2 no match, 3 unsure or bad picture.": "比较 PROBE（如现场抓拍）与 REFERENCE（名单照片）中的人脸。退出状态：0 一致，1 出错，2 不一致，3 不确定或画面不清。",
    "Print the verdict as JSON.": "以 JSON 输出比对结果。",
    "Decide every pair of PAIRS.csv (columns file_x,file_y; optional same=1/0). Each image is encoded once. With a `same` (or `label`) column, false-accept and false-reject counts at the shipped thresholds are printed at the end.": "判定 PAIRS.csv 中的每一对照片（列 file_x,file_y；可选 same=1/0）。每张图片只编码一次。若有 `same`（或 `label`）列，最后输出按内置阈值的误识与拒识次数。",
    "Print one JSON object per pair, then a summary.": "每对输出一个 JSON 对象，最后输出汇总。",
    "Cameras: list them, take a snapshot.": "摄像头：列出摄像头，拍一张照片。",
    "The cameras that open and give a picture.": "能打开并有画面的摄像头。",
    "Save one picture from the camera to OUT (.jpg or .png).": "从摄像头保存一张照片到 OUT（.jpg 或 .png）。",
    "Camera index (0, 1, ...) or a video file / URL.": "摄像头编号（0、1……）或视频文件 / URL。",
    "HTTP sync with the exam centre (status, push now, configuration).": "与考试中心的 HTTP 同步（状态、立即推送、配置）。",
    "Show, or with --central/--ca-file save, the centre this station syncs with.": "显示本机同步的考试中心，或用 --central/--ca-file 保存。",
    "Exam centre URL, e.g. https://sync.example.cn:8470 (default: the one saved).": "考试中心地址，例如 https://sync.example.cn:8470（默认：已保存的地址）。",
    "CA certificate (PEM) that the centre's TLS certificate must chain to.": "考试中心 TLS 证书须链接到的 CA 证书（PEM）。",
    "Online or not (a 2-second probe), last success, backlog in events and bytes.": "是否在线（2 秒探测）、上次成功时间、待发送的事件数和字节数。",
    "One sync pass now: send what the centre does not hold, events first, then snapshots. Exit status 0 when done, 1 when the centre could not be reached, 3 when it holds another history for this station.": "立即同步一次：发送考试中心尚没有的数据，先事件后抓拍。完成时退出状态 0，无法连接考试中心为 1，中心保存的本机记录与本机不一致为 3。",
    "Make this machine a station: encrypted store, its own keys, the centre's keys pinned.": "把本机部署为工作站：加密存储、本机密钥、固定考试中心的公钥。",
    "e.g. ST-0101-03 (as the centre assigns it).": "例如 ST-0101-03（由考试中心分配）。",
    "The centre's public keys (examkiosk-central public-keys > FILE).": "考试中心的公钥（examkiosk-central public-keys > FILE）。",
    "Write this station's public keys here for `examkiosk-central register-station`.": "把本机公钥写到此处，供 `examkiosk-central register-station` 使用。",
    "Exam packages (.ekp) from the exam centre.": "考试中心下发的考试包（.ekp）。",
    "Verify and import a package; roster faces are encoded once, here, with progress. A venue administrator signs in (the first package of a new station: the recovery passphrase that opened it).": "校验并导入考试包；名单人脸在本机编码一次并显示进度。须考点管理员登录（新工作站的第一个考试包：用打开它的恢复口令）。",
    "The station's card reader and camera: show and set them.": "本机的读卡器和摄像头：查看与设置。",
    "The configuration (store + environment on demo venues) and the devices connected.": "设备配置（存储中的配置，演示考点另含环境变量）和已连接的设备。",
    "Change the station's device configuration (the camera is kept unless given). A venue administrator or technician signs in; the change is audited with the old and new values. Simulated devices only on rehearsal and demo venues.": "修改本机设备配置（未指定摄像头则保持不变）。须考点管理员或技术员登录；修改连同新旧值记入审计。模拟设备仅限演练和演示考点。",
    "PC/SC reader name (part of it); default: any.": "PC/SC 读卡器名称（部分即可）；默认：任一。",
    "Serial speed of the GA/T 467 reader (default 115200).": "GA/T 467 阅读器的串口速率（默认 115200）。",
    "Camera index (0, 1...) or a video file / URL.": "摄像头编号（0、1……）或视频文件 / URL。",
    "Frame size the door works at, e.g. 1280x720.": "入口核验使用的画面尺寸，例如 1280x720。",
    "Staff accounts (工作人员账号): from the package, and local ones the venue administrator adds.": "工作人员账号：来自考试包的账号，以及考点管理员添加的本地账号。",
    "Every account: number, name, role, source, state (a venue administrator signs in).": "所有账号：工号、姓名、角色、来源、状态（须考点管理员登录）。",
    "Add a local account (audited).": "添加本地账号（记入审计）。",
    "File holding the new person's password.": "存放新账号密码的文件。",
    "Disable an account (audited).": "停用账号（记入审计）。",
    "Enable an account again (audited).": "重新启用账号（记入审计）。",
    "Lift a lock-out after wrong passwords (audited).": "解除因密码错误造成的锁定（记入审计）。",
    "The audit trail (审计记录): who did what, when.": "审计记录：谁在何时做了什么。",
    "Audit entries, newest first (a venue administrator signs in; the viewing is audited).": "审计条目，最新的在前（须考点管理员登录；查看记入审计）。",
    "Only this staff number.": "只看此工号。",
    "Only this action (e.g. signin_failed).": "只看此操作（例如 signin_failed）。",
    "From this ISO time.": "从此 ISO 时间起。",
    "Up to this ISO time.": "到此 ISO 时间止。",
    "'2h', '30m', '7d', or an ISO 8601 time.": "'2h'、'30m'、'7d'，或 ISO 8601 时间。",
    "Automatic backups while the window runs: every N minutes into FOLDER (a second disk or USB drive), keeping the newest K there. Show the schedule when given nothing.": "窗口运行期间自动备份：每 N 分钟备份到 FOLDER（第二块硬盘或 U 盘），只保留最新的 K 份。不带参数时显示备份计划。",
    "Backup file to write, or a folder (second disk, USB drive) to name it in.": "要写入的备份文件，或用来存放备份的文件夹（第二块硬盘、U 盘）。",
    "CSCA master lists, certificates, folders of them and CRLs, comma-separated (pcsc).": "CSCA 主列表、证书、证书文件夹和吊销列表，以逗号分隔（pcsc）。",
    "Card access number (PACE ID cards).": "卡访问号码（CAN，PACE 身份证件）。",
    "Check a backup against its manifest; with the recovery passphrase ($EXAMKIOSK_PASSPHRASE or --passphrase-file) also open the store inside and check its pages and event chain. Exit status 1 (with --json) or 2 when it is not usable.": "按清单检查备份；提供恢复口令（$EXAMKIOSK_PASSPHRASE 或 --passphrase-file）时还会打开其中的存储，检查数据页和事件链。不可用时退出状态为 1（带 --json）或 2。",
    "Chip key for passports and ID cards: the three items, or the scanned MRZ.": "护照和身份证件的芯片密钥：三项信息，或扫描的 MRZ。",
    "Copy the station's store (still encrypted), key slots and settings into one file, consistently, while the station keeps running; verified by reading it back.": "在工作站运行期间，把本机存储（仍为加密状态）、密钥槽和设置一致地复制到一个文件中，并读回校验。",
    "Development only: allow plain http:// to 127.0.0.1/localhost (recorded).": "仅供开发：允许用明文 http:// 连接 127.0.0.1/localhost（会记录）。",
    "Inspection (巡检): devices, disk, store integrity, event chain, sync, clock, backups, logs, security; each line ok / warning / failure with what to do. Recorded as an `inspection.done` event. Exit status 0 (ok or warnings) or 1 (a failure).": "巡检：设备、磁盘、存储完整性、事件链、同步、时钟、备份、日志、安全；每行给出正常 / 警告 / 故障及处理办法。记录为 `inspection.done` 事件。退出状态 0（正常或仅有警告）或 1（有故障）。",
    "New, empty data directory to restore into (nothing is ever overwritten).": "恢复到的新的空数据目录（绝不覆盖已有数据）。",
    "One backup now, then exit.": "立即备份一次，然后退出。",
    "One sitting (default: all).": "某一场考试（默认：全部）。",
    "Restore a backup on this machine with the recovery passphrase and a venue administrator's sign-in (the accounts come with the backup); all or nothing.": "用恢复口令和考点管理员登录在本机恢复备份（账号随备份一同恢复）；要么全部恢复，要么不做任何更改。",
    "Return to the previous version (kept by the last update).": "回退到上一版本（由上次更新保留）。",
    "Run the automatic backups headless (a station without the window, or a service).": "无界面运行自动备份（无窗口的工作站，或作为服务）。",
    "Serial port of a GA/T 467 resident-ID reader, or auto (by USB id).": "GA/T 467 居民身份证阅读器的串口，或 auto（按 USB 标识自动查找）。",
    "Signed offline updates of this program (程序离线更新).": "程序离线更新（经签名）。",
    "Skip readers, camera and face engine.": "跳过读卡器、摄像头和人脸引擎。",
    "Station backups (.ekbak): create while running, verify, restore on new hardware.": "工作站备份（.ekbak）：运行中创建、校验、在新硬件上恢复。",
    "Statistics of this station: attendance, the exam, items, scores. Exports (XLSX with a sheet per table, PDF with charts) are recorded as `stats.exported` events.": "本机统计：到考、考试、试题、成绩。导出（每张表一页的 XLSX、带图表的 PDF）记录为 `stats.exported` 事件。",
    "Stop automatic backups.": "停止自动备份。",
    "The JSON lines as stored.": "按存储原样输出 JSON 行。",
    "The installed version and the one a roll-back would return to.": "已安装的版本，以及回退将恢复到的版本。",
    "The station's log (JSON lines, rotated, names and ID numbers masked).": "本机日志（JSON 行，滚动保存，姓名和证件号码已脱敏）。",
    "Verify an update file and say whether it could be applied now (changes nothing).": "校验更新文件并说明现在能否安装（不做任何更改）。",
    "Verify and install an update signed by the centre; the previous version is kept.": "校验并安装考试中心签名的更新；保留上一版本。",
    "Where releases/ and current are (default /opt/examkiosk or $EXAMKIOSK_INSTALL_ROOT).": "releases/ 和 current 所在目录（默认 /opt/examkiosk 或 $EXAMKIOSK_INSTALL_ROOT）。",
    # issue 15 (Windows)
    "Run the kiosk window and restart it whenever it ends (the Windows kiosk shell).": "运行考点窗口，窗口结束后自动重新启动（Windows 考点机外壳）。",
}


def _key(text: str) -> str:
    return " ".join(text.split())


def _texts(command: click.Command) -> Iterator[tuple[object, str, str]]:
    """(owner, attribute, English text) for every help text under `command`."""
    for owner, attribute in ((command, "help"), (command, "short_help")):
        text = getattr(owner, attribute, None)
        if text:
            yield owner, attribute, text
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            yield param, "help", text
    # click makes each command's --help option once, in the language of that moment, and
    # keeps it: switch it too (its English text is click's own).
    help_option = getattr(command, "_help_option", None)
    if help_option is not None:
        yield help_option, "help", "Show this message and exit."
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _texts(sub)


def missing(command: click.Command) -> list[str]:
    """English help texts the table does not translate."""
    return sorted({_key(t) for _o, _a, t in _texts(command) if _key(t) not in ZH})


def language_of(args: Sequence[str], env_language: str) -> str:
    """`--lang X` / `--lang=X` before the command, else the environment's."""
    for n, arg in enumerate(args):
        if arg == "--lang" and n + 1 < len(args):
            return args[n + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return env_language


_ENGLISH: dict[tuple[int, str], str] = {}  # the texts as written, to switch back


def localize(command: click.Command, language: str) -> None:
    """Put the help in `language` in place: Chinese from the table, English as written;
    click's own words ("Usage:", "Error: No such option") likewise (cli_click_zh)."""
    from examkiosk.app.cli_click_zh import use_click_language

    use_click_language(language)
    english = language.startswith("en")
    for owner, attribute, text in list(_texts(command)):
        original = _ENGLISH.setdefault((id(owner), attribute), text)
        setattr(owner, attribute, original if english else ZH.get(_key(original), original))
