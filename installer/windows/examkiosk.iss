; Inno Setup 6 script for the Windows station build.
;
; NOT COMPILED: Inno Setup's compiler (ISCC.exe) is a 32-bit Windows program; this project has
; no Windows machine, and Debian's wine needs the i386 architecture for it, which the build
; machines do not have. tests/installer/test_windows_iss.py reads this file and checks its
; rules (sections, what ships, the data folder's ACL, the kiosk shell and its undo), and
; compiles the version check below with Free Pascal and runs it. Nothing else of this script
; has run anywhere. Saved as UTF-8 with a byte-order mark: without it ISCC reads the Chinese
; messages in the system's ANSI code page.
;
; Build, on Windows (docs/install.md, "Windows"):
;   pyinstaller --noconfirm installer\examkiosk.spec
;   python installer\build_windows.py        (checks dist\examkiosk, then runs ISCC)
;
; What it does: the one-folder build goes to {app}\releases\<version>; the station's data
; folder %ProgramData%\ExamKiosk is made and locked to the kiosk account (and SYSTEM); with
; the task "kioskshell" the program becomes the Windows shell of that account only (no
; Explorer, no Start menu, no task bar), Task Manager, lock and change-password are taken
; off its Ctrl+Alt+Del screen; {app}\current names the running release (a pointer file: see
; examkiosk/core/update.py) and the kiosk account may add releases there (signed offline
; updates, as on Linux); older versions never replace newer ones; uninstalling removes the
; program and undoes the shell, never the data.

#ifndef Version
  #error Pass the version: iscc /DVersion=0.1.0 installer\windows\examkiosk.iss (build_windows.py does)
#endif
#define AppGuid "AA3A3870-23C6-49D9-AA1D-1B6032929DB1"
#define KioskUser "examkiosk"
; Never shipped (the same list as installer/build_deb.py's FORBIDDEN, in Excludes' syntax: a
; pattern without a leading backslash matches the end of a path, a folder's name excludes the
; folder): the vsmartcard virtual reader, test suites and photos, keys, stores, demo venues.
#define Forbidden "*vpcd*,*vsmartcard*,tests,testdata,hypothesis,_pytest,*demo-passphrase*,keyslots.json,keys.json,*station.db,*.ekp,*.ekb"

[Setup]
AppId={{{#AppGuid}}
AppName=ExamKiosk
AppVersion={#Version}
AppPublisher=ExamKiosk maintainers
; Fixed: the program looks for its releases here (examkiosk/core/update.py default_install_root).
DefaultDirName={autopf}\ExamKiosk
DisableDirPage=yes
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=examkiosk-{#Version}-setup
Compression=lzma2/max
SolidCompression=yes
SetupLogging=yes
VersionInfoVersion={#Version}
UninstallDisplayName=ExamKiosk {#Version}

[Tasks]
Name: "kioskshell"; Description: "Start ExamKiosk as the Windows shell of the ""{#KioskUser}"" account (kiosk) / 将 ExamKiosk 设为 ""{#KioskUser}"" 账户的外壳（考点机模式）"

[Dirs]
; The station's data. Its ACL is set in [Code] (LockDataFolder): Inno's Permissions can only
; add rights, and ProgramData's inherited ones let every user read.
Name: "{commonappdata}\ExamKiosk"; Flags: uninsneveruninstall

[Files]
Source: "..\..\dist\examkiosk\*"; DestDir: "{app}\releases\{#Version}"; Excludes: "{#Forbidden}"; Flags: ignoreversion recursesubdirs createallsubdirs

[UninstallDelete]
; Program releases and the pointers to them only: the data folder is never removed.
Type: filesandordirs; Name: "{app}\releases"
Type: files; Name: "{app}\current"
Type: files; Name: "{app}\previous"

[Code]
const
  UninstallKey = 'Software\Microsoft\Windows\CurrentVersion\Uninstall\{{#AppGuid}}_is1';
  ProfileList = 'SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList';
  Hive = 'ExamKioskSetup';
  WinlogonKey = 'ExamKioskSetup\Software\Microsoft\Windows NT\CurrentVersion\Winlogon';
  PoliciesKey = 'ExamKioskSetup\Software\Microsoft\Windows\CurrentVersion\Policies\System';

// --- version check: begin (compiled and run with Free Pascal by the tests) ---
// Part N (0 = first) of a dotted version as a number: ('0.10.2', 1) -> 10. A missing part
// is 0; a part's number ends at its first non-digit ('3rc1' -> 3).
function VersionPart(const V: String; N: Integer): Integer;
var
  I, Part, Value: Integer;
  InNumber: Boolean;
begin
  Part := 0;
  Value := 0;
  InNumber := True;
  for I := 1 to Length(V) do
  begin
    if V[I] = '.' then
    begin
      if Part = N then
        Break;
      Part := Part + 1;
      Value := 0;
      InNumber := True;
    end
    else if InNumber and (V[I] >= '0') and (V[I] <= '9') then
    begin
      if (Part = N) and (Value < 100000) then
        Value := Value * 10 + (Ord(V[I]) - Ord('0'));
    end
    else
      InNumber := False;
  end;
  if Part = N then
    Result := Value
  else
    Result := 0;
end;

// -1, 0 or 1 as version A is older than, the same as, or newer than B, comparing the four
// parts as numbers (text order would put 0.10.0 before 0.9.0).
function CompareVersions(const A, B: String): Integer;
var
  N, X, Y: Integer;
begin
  Result := 0;
  for N := 0 to 3 do
  begin
    X := VersionPart(A, N);
    Y := VersionPart(B, N);
    if X < Y then
    begin
      Result := -1;
      Exit;
    end;
    if X > Y then
    begin
      Result := 1;
      Exit;
    end;
  end;
end;
// --- version check: end ---

function RunHidden(const Exe, Params: String): Boolean;
var
  Code: Integer;
begin
  Result := Exec(Exe, Params, '', SW_HIDE, ewWaitUntilTerminated, Code) and (Code = 0);
end;

function KioskAccountExists(): Boolean;
begin
  Result := RunHidden(ExpandConstant('{sys}\net.exe'), 'user {#KioskUser}');
end;

// The kiosk account's profile folder, from the profile list ('' if it never signed in).
function KioskProfile(): String;
var
  Sids: TArrayOfString;
  I: Integer;
  Path: String;
begin
  Result := '';
  if not RegGetSubkeyNames(HKLM64, ProfileList, Sids) then
    Exit;
  for I := 0 to GetArrayLength(Sids) - 1 do
    if RegQueryStringValue(HKLM64, ProfileList + '\' + Sids[I], 'ProfileImagePath', Path) then
      if CompareText(ExtractFileName(Path), '{#KioskUser}') = 0 then
      begin
        StringChangeEx(Path, '%SystemDrive%', ExpandConstant('{sd}'), True);
        Result := Path;
        Exit;
      end;
end;

// The account's own registry (HKCU when it is signed in) under HKU\ExamKioskSetup; fails
// while the account is signed in, because Windows holds the file then.
function LoadKioskHive(): Boolean;
var
  Profile: String;
begin
  Profile := KioskProfile();
  Result := (Profile <> '') and
    RunHidden(ExpandConstant('{sys}\reg.exe'), 'load HKU\' + Hive + ' "' + Profile + '\NTUSER.DAT"');
end;

procedure UnloadKioskHive();
begin
  RunHidden(ExpandConstant('{sys}\reg.exe'), 'unload HKU\' + Hive);
end;

function ShellCommand(): String;
begin
  Result := '"' + ExpandConstant('{app}\releases\{#Version}\examkiosk.exe') + '" kiosk-shell --data-dir "' +
    ExpandConstant('{commonappdata}\ExamKiosk') + '"';
end;

// The newest version on this machine: the one this installer recorded, or the release a
// signed offline update made current since ({autopf}\ExamKiosk\current: "releases/V").
function InstalledVersion(): String;
var
  Line: AnsiString;
  Current: String;
begin
  if not RegQueryStringValue(HKLM64, UninstallKey, 'DisplayVersion', Result) then
    Result := '';
  if LoadStringFromFile(ExpandConstant('{autopf}\ExamKiosk\current'), Line) then
  begin
    Current := Trim(String(Line));
    StringChangeEx(Current, '\', '/', True);
    if Pos('releases/', Current) = 1 then
    begin
      Current := Copy(Current, 10, Length(Current) - 9);
      if CompareVersions(Current, Result) > 0 then
        Result := Current;
    end;
  end;
end;

function InitializeSetup(): Boolean;
var
  Installed: String;
begin
  Result := True;
  // Never downgrade: an older program may not read a store a newer one has migrated.
  Installed := InstalledVersion();
  if Installed <> '' then
    if CompareVersions(Installed, '{#Version}') > 0 then
    begin
      MsgBox('已安装较新的版本 ' + Installed + '，不能降级到 {#Version}。' + #13#10 +
        'A newer version (' + Installed + ') is installed; refusing to downgrade to {#Version}.',
        mbError, MB_OK);
      Result := False;
      Exit;
    end;
  // The data folder is locked to this account: without it nobody could run the station.
  if not KioskAccountExists() then
  begin
    MsgBox('请先创建本地标准账户 "{#KioskUser}" 并用它登录一次，然后再运行安装程序。' + #13#10 +
      'First create the standard local account "{#KioskUser}" and sign in with it once, then run this installer again.',
      mbError, MB_OK);
    Result := False;
  end;
end;

// Inheritance off, then the kiosk account (modify) and SYSTEM (full) only: not Users, not
// Administrators (an administrator who must read it re-grants themselves, see docs).
procedure LockDataFolder();
begin
  if not RunHidden(ExpandConstant('{sys}\icacls.exe'), '"' + ExpandConstant('{commonappdata}\ExamKiosk') +
    '" /inheritance:r /grant:r "{#KioskUser}:(OI)(CI)M" "*S-1-5-18:(OI)(CI)F"') then
    MsgBox('无法设置数据目录的访问权限（icacls 失败），请按文档手动设置。' + #13#10 +
      'Could not set the data folder''s access rights (icacls failed); set them by hand as the documentation says.',
      mbError, MB_OK);
end;

// Signed offline updates run as the kiosk account: it may add releases and switch the
// pointer (these folders themselves only, no inheritance: the installed program files stay
// the administrators'). The same trade-off as /opt/examkiosk on Linux (docs/install.md).
procedure LetKioskUpdate();
begin
  SaveStringToFile(ExpandConstant('{app}\current'), 'releases/{#Version}' + #10, False);
  if not (RunHidden(ExpandConstant('{sys}\icacls.exe'), '"' + ExpandConstant('{app}') + '" /grant "{#KioskUser}:(M)"') and
    RunHidden(ExpandConstant('{sys}\icacls.exe'), '"' + ExpandConstant('{app}\releases') + '" /grant "{#KioskUser}:(M)"') and
    RunHidden(ExpandConstant('{sys}\icacls.exe'), '"' + ExpandConstant('{app}\current') + '" /grant "{#KioskUser}:(M)"')) then
    MsgBox('无法授予考点账户安装更新的权限；离线更新需由管理员安装。' + #13#10 +
      'Could not let the kiosk account install updates; an administrator must install offline updates.',
      mbError, MB_OK);
end;

procedure SetKioskShell();
begin
  if not LoadKioskHive() then
  begin
    MsgBox('无法修改 "{#KioskUser}" 账户的设置：请注销该账户（或重启 Windows）后再运行安装程序。' + #13#10 +
      'Could not change the "{#KioskUser}" account''s settings: sign that account out (or restart Windows), then run this installer again.',
      mbError, MB_OK);
    Exit;
  end;
  try
    RegWriteStringValue(HKU, WinlogonKey, 'Shell', ShellCommand());
    RegWriteDWordValue(HKU, PoliciesKey, 'DisableTaskMgr', 1);
    RegWriteDWordValue(HKU, PoliciesKey, 'DisableLockWorkstation', 1);
    RegWriteDWordValue(HKU, PoliciesKey, 'DisableChangePassword', 1);
  finally
    UnloadKioskHive();
  end;
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if CurStep = ssPostInstall then
  begin
    LockDataFolder();
    LetKioskUpdate();
    if WizardIsTaskSelected('kioskshell') then
      SetKioskShell();
  end;
end;

// Undo the shell (only if it is ours) and the three policies; the data folder stays.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Shell: String;
begin
  if CurUninstallStep <> usUninstall then
    Exit;
  if not LoadKioskHive() then
  begin
    if KioskProfile() <> '' then
      MsgBox('无法恢复 "{#KioskUser}" 账户的 Windows 外壳：请按文档手动恢复。' + #13#10 +
        'Could not give the "{#KioskUser}" account its Windows shell back: undo it by hand as the documentation says.',
        mbError, MB_OK);
    Exit;
  end;
  try
    if RegQueryStringValue(HKU, WinlogonKey, 'Shell', Shell) and
      (Pos(LowerCase(ExpandConstant('{app}')), LowerCase(Shell)) > 0) then
    begin
      RegDeleteValue(HKU, WinlogonKey, 'Shell');
      RegDeleteValue(HKU, PoliciesKey, 'DisableTaskMgr');
      RegDeleteValue(HKU, PoliciesKey, 'DisableLockWorkstation');
      RegDeleteValue(HKU, PoliciesKey, 'DisableChangePassword');
    end;
  finally
    UnloadKioskHive();
  end;
end;
