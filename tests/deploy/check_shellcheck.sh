#!/usr/bin/env bash
# ShellCheck on every shell script in the repository: tracked files named *.sh, and tracked
# files without an extension whose first line is a sh/bash shebang (e.g. .ci/run). Findings of
# severity warning and error fail; info and style notes do not.
source "$(dirname "$0")/lib.sh"
need shellcheck git
cd "$SRC" || exit 1
scripts=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  case "$f" in
    *.sh) scripts+=("$f") ;;
    */*.*|*.*) ;;
    *) head -n 1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && scripts+=("$f") ;;
  esac
done < <(git ls-files -z)
[ ${#scripts[@]} -gt 0 ] || { echo "FAIL: found no shell scripts"; exit 1; }
shellcheck -x -P SCRIPTDIR -S warning "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts OK"
