; Inno Setup script for the Windows station build: UNTESTED DRAFT (never compiled or run; no
; Windows machine in this project's CI). See docs/install.md, "Windows".
;
;   pyinstaller --noconfirm installer\examkiosk.spec      (on Windows: dist\examkiosk\)
;   iscc /DVersion=0.1.0 installer\windows\examkiosk.iss  (output: dist\examkiosk-0.1.0-setup.exe)
;
; Installs the one-folder build under {app}\releases\<version>, puts a data directory with
; restricted rights under {commonappdata}\ExamKiosk, and (task "kioskshell") makes the program
; the Windows shell of the kiosk account only: no Explorer, no Start menu, no task bar for that
; account. The account must exist and have signed in once (its registry hive is loaded).

#ifndef Version
  #define Version "0.1.0"
#endif
#define KioskUser "examkiosk"

[Setup]
AppId={{6B0D1C52-7C9E-4C1A-9E4B-EXAMKIOSK015}
AppName=ExamKiosk
AppVersion={#Version}
AppPublisher=ExamKiosk maintainers
DefaultDirName={autopf}\ExamKiosk
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=examkiosk-{#Version}-setup
Compression=lzma2/max
SolidCompression=yes
; Never downgrade: an older program may not read a store a newer one has migrated.
VersionInfoVersion={#Version}

[Tasks]
Name: "kioskshell"; Description: "Start ExamKiosk as the shell of the ""{#KioskUser}"" account (kiosk)"; Flags: unchecked

[Dirs]
; The station's data: the kiosk account and administrators only.
Name: "{commonappdata}\ExamKiosk"; Permissions: admins-full system-full

[Files]
; The vsmartcard virtual reader, test data and demo keys are never in dist\examkiosk (the spec
; excludes them; installer/build_deb.py's check applies to this folder as well).
Source: "..\..\dist\examkiosk\*"; DestDir: "{app}\releases\{#Version}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\ExamKiosk"; Filename: "{app}\releases\{#Version}\examkiosk.exe"; Parameters: "run --data-dir ""{commonappdata}\ExamKiosk"""

[Run]
Filename: "{sys}\icacls.exe"; Parameters: """{commonappdata}\ExamKiosk"" /grant {#KioskUser}:(OI)(CI)M"; Flags: runhidden; Tasks: kioskshell
Filename: "{sys}\reg.exe"; Parameters: "load HKU\ExamKioskUser ""{%SystemDrive}\Users\{#KioskUser}\NTUSER.DAT"""; Flags: runhidden; Tasks: kioskshell
Filename: "{sys}\reg.exe"; Parameters: "add ""HKU\ExamKioskUser\Software\Microsoft\Windows NT\CurrentVersion\Winlogon"" /v Shell /t REG_SZ /d ""\""{app}\releases\{#Version}\examkiosk.exe\"" run --data-dir \""{commonappdata}\ExamKiosk\"""" /f"; Flags: runhidden; Tasks: kioskshell
Filename: "{sys}\reg.exe"; Parameters: "unload HKU\ExamKioskUser"; Flags: runhidden; Tasks: kioskshell

[UninstallDelete]
; Program releases only: the data directory is never removed by the uninstaller.
Type: filesandordirs; Name: "{app}\releases"

[Code]
function InitializeSetup(): Boolean;
var
  Installed: String;
begin
  Result := True;
  if RegQueryStringValue(HKLM, 'Software\Microsoft\Windows\CurrentVersion\Uninstall\{6B0D1C52-7C9E-4C1A-9E4B-EXAMKIOSK015}_is1', 'DisplayVersion', Installed) then
    // CompareStr is textual: right for single-digit parts only; a numeric compare is to do.
    if CompareStr(Installed, '{#Version}') > 0 then
    begin
      MsgBox('拒绝降级 Refusing to downgrade from ' + Installed + ' to {#Version}.', mbError, MB_OK);
      Result := False;
    end;
end;
