"""The Windows installer script (installer/windows/examkiosk.iss), read as text.

Inno Setup's compiler cannot run here (a 32-bit Windows program; see the script's header), so
these tests check the script's rules on its preprocessed text, and compile its version check
with Free Pascal (Delphi mode accepts the same function text as Inno's Pascal Script) and run
it against the program's own version order (sync.update.parse_version). What they cannot
show: that ISCC accepts the whole script, and what Windows does when it runs.
"""

from __future__ import annotations

import fnmatch
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from examkiosk.app.cli import main as cli_main
from installer.build_deb import FORBIDDEN, forbidden_files
from sync.update import parse_version

ISS = Path(__file__).resolve().parents[2] / "installer" / "windows" / "examkiosk.iss"
VERSION = "0.3.0"


def _raw() -> str:
    return ISS.read_bytes().decode("utf-8-sig")


def preprocess(text: str, defines: dict[str, str]) -> str:
    """What ISPP does with this script: #define lines, {#Name} inline, #ifndef/#error."""
    defines = dict(defines)
    out: list[str] = []
    skipping: list[bool] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#ifndef "):
            skipping.append(stripped.split()[1] in defines)
            continue
        if stripped == "#endif":
            skipping.pop()
            continue
        if any(skipping):
            continue
        if stripped.startswith("#error"):
            raise AssertionError("ISPP stops: " + stripped)
        define = re.fullmatch(r'#define (\w+) "(.*)"', stripped)
        if define:
            defines[define.group(1)] = define.group(2)
            continue
        out.append(re.sub(r"\{#(\w+)\}", lambda m: defines[m.group(1)], line))
    return "\n".join(out)


def sections(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        header = re.fullmatch(r"\[(\w+)\]", line.strip())
        if header:
            current = header.group(1)
            found.setdefault(current, [])
        elif current and line.strip() and not line.lstrip().startswith(";"):
            found[current].append(line)
    return found


def entry(line: str) -> dict[str, str]:
    """`Name: "a"; Flags: b c` -> {"Name": "a", "Flags": "b c"} (quotes undone)."""
    params = {}
    for part in re.findall(r'(\w+):\s*("(?:[^"]|"")*"|[^;]*)', line):
        key, value = part
        value = value.strip()
        if value.startswith('"'):
            value = value[1:-1].replace('""', '"')
        params[key] = value
    return params


@pytest.fixture(scope="module")
def script() -> dict[str, list[str]]:
    return sections(preprocess(_raw(), {"Version": VERSION}))


def _setup(script: dict[str, list[str]]) -> dict[str, str]:
    return dict(line.split("=", 1) for line in script["Setup"])


def _code(script: dict[str, list[str]]) -> str:
    return "\n".join(script["Code"])


def test_saved_as_utf8_with_a_byte_order_mark() -> None:
    # Without the mark ISCC reads the file in the ANSI code page and garbles the Chinese.
    assert ISS.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "拒绝" in _raw() or "不能降级" in _raw()


def test_the_version_must_be_given() -> None:
    with pytest.raises(AssertionError, match="Pass the version"):
        preprocess(_raw(), {})


def test_setup_installs_per_machine_in_the_place_the_program_updates(script) -> None:
    setup = _setup(script)
    assert setup["PrivilegesRequired"] == "admin"
    assert setup["ArchitecturesInstallIn64BitMode"] == "x64compatible"
    # examkiosk/core/update.py default_install_root: %ProgramFiles%\ExamKiosk, so fixed.
    assert (setup["DefaultDirName"], setup["DisableDirPage"]) == ("{autopf}\\ExamKiosk", "yes")
    assert setup["AppVersion"] == VERSION


def test_the_app_id_and_the_uninstall_key_name_the_same_guid(script) -> None:
    app_id = _setup(script)["AppId"]
    assert app_id.startswith("{{")  # "{{" is Inno's escaped brace: the id is "{GUID}"
    guid = app_id[1:]
    assert re.fullmatch(r"\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", guid)
    assert f"Uninstall\\{guid}_is1'" in _code(script)


def inno_excluded(path: str, patterns: list[str]) -> bool:
    """Inno's Excludes: a pattern with a leading backslash matches the start of the path,
    otherwise its end, whole names each; a matching folder excludes what is inside it."""
    parts = path.split("\\")
    for pattern in patterns:
        anchored = pattern.startswith("\\")
        wanted = pattern.lstrip("\\").split("\\")
        for end in range(1, len(parts) + 1):  # the path itself or one of its folders
            head = parts[:end]
            if len(head) < len(wanted):
                continue
            window = head[: len(wanted)] if anchored else head[-len(wanted) :]
            if all(
                fnmatch.fnmatchcase(p.lower(), w.lower())
                for p, w in zip(window, wanted, strict=True)
            ):
                return True
    return False


NEVER_SHIPPED = [
    "_internal\\vsmartcard\\vpcd.exe",
    "_internal\\libifdvpcd.dll",
    "_internal\\examkiosk\\tests\\test_exam.py",
    "_internal\\testdata\\faces\\a.jpg",
    "_internal\\hypothesis\\core.py",
    "_internal\\_pytest\\main.py",
    "demo\\demo-passphrase.txt",
    "data\\keyslots.json",
    "central\\keys.json",
    "venue\\station.db",
    "exam.ekp",
    "outbox.ekb",
]
SHIPPED = [
    "examkiosk.exe",
    "_internal\\python311.dll",
    "_internal\\examkiosk\\core\\exam.py",
    "_internal\\sync\\central\\keystore.py",
    "_internal\\cv2\\cv2.pyd",
    "_internal\\face_recognition_models\\models\\dlib_face_recognition_resnet_model_v1.dat",
    "_internal\\examkiosk\\assets\\selftest-face.jpg",
]


def test_the_sample_files_are_exactly_what_the_debian_build_forbids(tmp_path: Path) -> None:
    for rel in NEVER_SHIPPED + SHIPPED:
        target = tmp_path.joinpath(*rel.split("\\"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"")
    refused = [r for r in forbidden_files(tmp_path) if (tmp_path / r.lstrip("/")).is_file()]
    assert {r.lstrip("/").replace("/", "\\") for r in refused} == set(NEVER_SHIPPED)
    for pattern in FORBIDDEN:  # every pattern has a sample here
        assert any(
            fnmatch.fnmatch("/" + r.replace("\\", "/").lower(), pattern) for r in NEVER_SHIPPED
        )


def test_the_installer_never_ships_the_virtual_reader_tests_or_keys(script) -> None:
    files = [entry(line) for line in script["Files"]]
    assert len(files) == 1, "one source: the PyInstaller folder"
    (program,) = files
    assert program["Source"] == "..\\..\\dist\\examkiosk\\*"
    assert program["DestDir"] == f"{{app}}\\releases\\{VERSION}"
    excludes = program["Excludes"].split(",")
    assert [p for p in NEVER_SHIPPED if not inno_excluded(p, excludes)] == []
    assert [p for p in SHIPPED if inno_excluded(p, excludes)] == []


def test_the_data_folder_is_kept_and_locked_to_the_kiosk_account(script) -> None:
    (data,) = [entry(line) for line in script["Dirs"]]
    assert data["Name"] == "{commonappdata}\\ExamKiosk"
    assert "uninsneveruninstall" in data["Flags"].split()
    assert "Permissions" not in data  # they only add rights; icacls below removes them
    code = _code(script)
    lock = code.split("procedure LockDataFolder", 1)[1].split("\nend;", 1)[0]
    icacls = re.search(r"icacls\.exe'\), (.*?)\) then", lock, re.S)
    assert icacls is not None
    command = icacls.group(1)
    assert "/inheritance:r" in command  # ProgramData's inherited "Users: read" goes
    grants = re.findall(r'"([^"]+):\(OI\)\(CI\)(\w)"', command)
    assert grants == [("examkiosk", "M"), ("*S-1-5-18", "F")]
    for anyone in ("S-1-5-32-545", "S-1-1-0", "S-1-5-11", "Users", "Everyone"):
        assert anyone not in command
    removed = [entry(line) for line in script["UninstallDelete"]]
    assert [r["Name"] for r in removed] == [
        "{app}\\releases", "{app}\\current", "{app}\\previous",
    ]  # fmt: skip


def test_the_kiosk_account_may_add_releases_but_not_change_installed_files(script) -> None:
    body = _code(script).split("procedure LetKioskUpdate", 1)[1].split("\nend;", 1)[0]
    # The pointer the program reads (examkiosk/core/update.py release_named_by).
    assert f"'releases/{VERSION}' + #10" in body
    grants = re.findall(r"ExpandConstant\('([^']+)'\) \+ '\" /grant \"([^\"]+)\"'", body)
    assert grants == [
        ("{app}", "examkiosk:(M)"),
        ("{app}\\releases", "examkiosk:(M)"),
        ("{app}\\current", "examkiosk:(M)"),
    ]  # folder-only rights: no (OI)(CI), so the installed release stays read-only to it


def _values(code: str, function: str, call: str) -> set[tuple[str, str]]:
    body = code.split(f"procedure {function}", 1)[1].split("\nend;", 1)[0]
    return set(re.findall(call + r"\(HKU, (\w+), '(\w+)'", body))


def test_the_shell_is_the_kiosk_accounts_own_and_uninstall_undoes_it(script) -> None:
    code = _code(script)
    written = _values(code, "SetKioskShell", r"RegWrite(?:String|DWord)Value")
    assert ("WinlogonKey", "Shell") in written
    assert {v for _, v in written} == {
        "Shell", "DisableTaskMgr", "DisableLockWorkstation", "DisableChangePassword",
    }  # fmt: skip
    assert _values(code, "CurUninstallStepChanged", "RegDeleteValue") == written
    # Only the kiosk account's loaded hive is written, never the machine's Winlogon key.
    assert re.search(r"RegWrite\w*\(HKLM", code) is None
    for key in ("WinlogonKey", "PoliciesKey"):
        assert re.search(rf"{key} = 'ExamKioskSetup\\", code)
    assert "load HKU\\' + Hive" in code and "unload HKU\\' + Hive" in code


def test_the_shell_command_is_a_command_this_program_has(script) -> None:
    shell = re.search(r"function ShellCommand\(\): String;.*?end;", _code(script), re.S)
    assert shell is not None
    text = shell.group(0)
    assert f"{{app}}\\releases\\{VERSION}\\examkiosk.exe" in text
    assert '" kiosk-shell --data-dir "' in text and "{commonappdata}\\ExamKiosk" in text
    command = cli_main.commands["kiosk-shell"]
    assert "--data-dir" in [o for p in command.params for o in p.opts]


def test_a_downgrade_is_refused_by_numeric_comparison(script) -> None:
    code = _code(script)
    setup_check = code.split("function InitializeSetup", 1)[1].split("\nend;", 1)[0]
    assert f"CompareVersions(Installed, '{VERSION}') > 0" in setup_check
    assert "Installed := InstalledVersion();" in setup_check and "Result := False" in setup_check
    newest = code.split("function InstalledVersion", 1)[1].split("\nend;\n", 1)[0]
    # Also a release a signed offline update made current since this installer ran.
    assert "{autopf}\\ExamKiosk\\current" in newest and "CompareVersions(Current, Result)" in newest
    assert "CompareStr" not in code  # the draft's text comparison


# --- the version check, compiled -------------------------------------------------------------

PROGRAM = """program vercheck;
{{$mode delphi}}{{$H+}}
{functions}
var
  A, B: String;
begin
  while not EOF(Input) do
  begin
    ReadLn(A);
    ReadLn(B);
    WriteLn(CompareVersions(A, B));
  end;
end.
"""


@pytest.fixture(scope="module")
def compare_versions(tmp_path_factory: pytest.TempPathFactory):
    fpc = shutil.which("fpc")
    if fpc is None:
        pytest.fail("Free Pascal (fpc) is missing: `make system-deps` installs fp-compiler")
    code = _raw().split("[Code]", 1)[1]
    functions = code.split("// --- version check: begin", 1)[1].split("// --- version check: end")[
        0
    ]
    functions = functions.split("\n", 1)[1]  # the marker line's own rest
    folder = tmp_path_factory.mktemp("vercheck")
    (folder / "vercheck.pas").write_text(PROGRAM.format(functions=functions))
    built = subprocess.run(
        [fpc, "-O1", "-vw", "vercheck.pas"], cwd=folder, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout + built.stderr

    def compare(pairs: list[tuple[str, str]]) -> list[int]:
        text = "".join(f"{a}\n{b}\n" for a, b in pairs)
        ran = subprocess.run(
            [str(folder / "vercheck")], input=text, capture_output=True, text=True, check=True
        )
        return [int(n) for n in ran.stdout.split()]

    return compare


def _order(a: str, b: str) -> int:
    x, y = parse_version(a), parse_version(b)
    return (x > y) - (x < y)


def test_versions_compare_part_by_part_as_numbers(compare_versions) -> None:
    pairs = [
        ("0.10.0", "0.9.0"),  # the draft's CompareStr said older
        ("0.9.0", "0.10.0"),
        ("1.0", "1.0.0"),
        ("1.0.0.1", "1.0.0"),
        ("10.0.0", "9.99.99"),
        ("0.1.0", "0.1.0"),
        ("2", "10"),
    ]
    assert compare_versions(pairs) == [1, -1, 0, 1, 1, 0, -1]


def test_the_installer_orders_versions_as_offline_updates_do(compare_versions) -> None:
    rng = random.Random(15)

    def version() -> str:
        return ".".join(
            str(rng.choice([0, 1, 2, 9, 10, 11, 99, 100, 2026])) for _ in range(rng.randint(1, 4))
        )

    pairs = [(version(), version()) for _ in range(400)]
    assert compare_versions(pairs) == [_order(a, b) for a, b in pairs]


def test_a_suffix_after_the_digits_is_ignored(compare_versions) -> None:
    # Release versions are numbers only (parse_version); a build tag must not make a
    # pre-release look newer than the release, nor crash the check.
    assert compare_versions([("0.2.0rc1", "0.2.0"), ("0.2.x", "0.2.0"), ("", "0.0.0")]) == [0, 0, 0]


# --- the build script ------------------------------------------------------------------------


def test_the_build_refuses_a_folder_holding_the_virtual_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from installer.build_windows import main as build_windows

    frozen = tmp_path / "examkiosk"
    (frozen / "_internal").mkdir(parents=True)
    (frozen / "examkiosk.exe").write_bytes(b"MZ")
    (frozen / "_internal" / "libifdvpcd.dll").write_bytes(b"MZ")
    iscc = tmp_path / "ISCC.exe"  # never reached: the check comes first
    iscc.write_text("#!/bin/sh\ntouch " + str(tmp_path / "ran") + "\n")
    iscc.chmod(0o755)
    assert build_windows(["--frozen", str(frozen), "--iscc", str(iscc)]) == 2
    assert "/_internal/libifdvpcd.dll" in capsys.readouterr().err
    assert not (tmp_path / "ran").exists()
    (frozen / "_internal" / "libifdvpcd.dll").unlink()
    assert build_windows(["--frozen", str(frozen), "--iscc", str(iscc), "--version", "0.3.0"]) == 0
    assert (tmp_path / "ran").exists()  # a clean folder goes on to the compiler
    assert build_windows(["--frozen", str(frozen), "--iscc", str(tmp_path / "none.exe")]) == 2
    assert "ISCC.exe was not found" in capsys.readouterr().err
