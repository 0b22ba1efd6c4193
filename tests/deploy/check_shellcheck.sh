#!/usr/bin/env bash
# ShellCheck on every shell script in the repository (its tracked files; outside a git work
# tree, every file but build output): files named *.sh, and files without an extension whose
# first line is a sh/bash shebang (e.g. .ci/run). Findings of severity warning and error fail;
# info and style notes do not.
source "$(dirname "$0")/lib.sh"
need shellcheck
cd "$SRC" || exit 1
scripts=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  case "$f" in
    *.sh) scripts+=("$f") ;;
    */*.*|*.*) ;;
    *) head -n 1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && scripts+=("$f") ;;
  esac
done < <(if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then git ls-files -z; else
           find . \( -name .git -o -name 'build*' -o -name .venv -o -name node_modules \) -prune \
             -o -type f -print0 | sed -z 's|^\./||'; fi)
[ ${#scripts[@]} -gt 0 ] || { echo "FAIL: found no shell scripts"; exit 1; }
shellcheck -x -P SCRIPTDIR -S warning "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts OK"
