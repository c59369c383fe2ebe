#!/bin/sh
# Install (or --uninstall) Panoforge's desktop integration for the current user:
# the .desktop entry, the icon set, the application/x-panoforge MIME type (so double-clicking a
# .panoforge file opens it in Panoforge) and the file-manager thumbnailer.
#
# Files go under ${XDG_DATA_HOME:-~/.local/share}; nothing needs root. Plain POSIX sh, so the
# desktop bundle installs itself on a machine without Python.
#
# Usage: install-desktop.sh [--exec COMMAND] [--thumbnail-exec COMMAND] [--uninstall]
#   --exec            how to start Panoforge (default: the bundle's ./panoforge next to this
#                     script's bundle when there is one, else `panoforge` from PATH)
#   --thumbnail-exec  how to run the thumbnailer (default: "<bundle>/panoforge --thumbnail"
#                     for the bundle, else `panoforge-thumbnailer`)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$here
exec_cmd=""
thumb_cmd=""
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --exec) exec_cmd=$2; shift 2 ;;
        --thumbnail-exec) thumb_cmd=$2; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "install-desktop.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

# In the bundle this script sits in <bundle>/share/ next to the desktop files, and the
# executable is <bundle>/panoforge. In the wheel it sits in resources/desktop/.
bundle=""
for cand in "$here/.." "$here/../.."; do
    if [ -x "$cand/panoforge" ] && [ -f "$cand/panoforge" ]; then
        bundle=$(cd "$cand" && pwd); break
    fi
done
if [ -z "$exec_cmd" ]; then
    if [ -n "$bundle" ]; then exec_cmd="$bundle/panoforge"; else exec_cmd=panoforge; fi
fi
if [ -z "$thumb_cmd" ]; then
    if [ -n "$bundle" ]; then thumb_cmd="$bundle/panoforge --thumbnail"
    else thumb_cmd=panoforge-thumbnailer; fi
fi
icons=$src/icons
[ -d "$icons" ] || icons=$src/../icons

data=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data/applications
mime=$data/mime
thumbs=$data/thumbnailers
hicolor=$data/icons/hicolor

if [ "$uninstall" = 1 ]; then
    rm -f "$apps/panoforge.desktop" "$mime/packages/panoforge-mime.xml" \
          "$thumbs/panoforge.thumbnailer"
    for f in "$hicolor"/*/apps/panoforge.png "$hicolor"/*/mimetypes/application-x-panoforge.png
    do rm -f "$f"; done
else
    mkdir -p "$apps" "$mime/packages" "$thumbs"
    # Exec/TryExec take the first word as the program; a path with spaces is quoted.
    first=${exec_cmd%% *}
    case "$first" in *\ *) q="\"$first\"" ;; *) q=$first ;; esac
    sed -e "s|^TryExec=panoforge\$|TryExec=$first|" -e "s|^Exec=panoforge |Exec=$q |" \
        "$src/panoforge.desktop" > "$apps/panoforge.desktop"
    tfirst=${thumb_cmd%% *}
    sed -e "s|^TryExec=panoforge-thumbnailer\$|TryExec=$tfirst|" \
        -e "s|^Exec=panoforge-thumbnailer |Exec=$thumb_cmd |" \
        "$src/panoforge.thumbnailer" > "$thumbs/panoforge.thumbnailer"
    cp "$src/panoforge-mime.xml" "$mime/packages/panoforge-mime.xml"
    for png in "$icons"/panoforge-*.png; do
        n=$(basename "$png" .png); n=${n#panoforge-}
        mkdir -p "$hicolor/${n}x${n}/apps" "$hicolor/${n}x${n}/mimetypes"
        cp "$png" "$hicolor/${n}x${n}/apps/panoforge.png"
        cp "$png" "$hicolor/${n}x${n}/mimetypes/application-x-panoforge.png"
    done
fi

# Refresh the caches the desktop reads (each tool is optional: a missing one is skipped).
if command -v update-mime-database >/dev/null 2>&1; then update-mime-database "$mime"; fi
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$apps" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$hicolor/index.theme" ]; then
    gtk-update-icon-cache -q "$hicolor" || true
fi
if [ "$uninstall" = 0 ] && command -v xdg-mime >/dev/null 2>&1; then
    xdg-mime default panoforge.desktop application/x-panoforge || true
fi
if [ "$uninstall" = 1 ]; then echo "removed Panoforge's desktop files from $data"
else echo "installed Panoforge's desktop files into $data (starts: $exec_cmd)"; fi
