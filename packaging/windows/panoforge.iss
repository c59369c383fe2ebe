; Inno Setup script for the Windows bundle (dist\windows\panoforge from packaging\panoforge.spec).
; Written, not built here: see packaging\windows\README.md.
#define AppVersion "0.1.0"

[Setup]
AppId={{6C0E3F5A-7E1B-4C55-9B7E-5A1D3C2B9F10}
AppName=Panoforge
AppVersion={#AppVersion}
DefaultDirName={autopf}\Panoforge
DefaultGroupName=Panoforge
OutputDir=..\..\dist\windows
OutputBaseFilename=panoforge-{#AppVersion}-windows-x64-setup
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
SetupIconFile=panoforge.ico
Compression=lzma2
SolidCompression=yes

[Files]
Source: "..\..\dist\windows\panoforge\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Panoforge"; Filename: "{app}\panoforge.exe"; Parameters: "gui"
Name: "{autodesktop}\Panoforge"; Filename: "{app}\panoforge.exe"; Parameters: "gui"; Tasks: desktopicon

[Tasks]
Name: desktopicon; Description: "Create a desktop shortcut"; Flags: unchecked

[Registry]
Root: HKA; Subkey: "Software\Classes\.panoforge"; ValueType: string; ValueName: ""; ValueData: "Panoforge.Project"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Panoforge.Project"; ValueType: string; ValueName: ""; ValueData: "Panoforge project"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Panoforge.Project\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\panoforge.exe,0"
Root: HKA; Subkey: "Software\Classes\Panoforge.Project\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\panoforge.exe"" gui ""%1"""
