#!/usr/bin/env bash
# Every shared library the tracegate binary links (DT_NEEDED) belongs to a Debian package in
# the "runtime" group of scripts/install-deps.sh, which is what deploy/Dockerfile's runtime
# stage installs: the image will start.
source "$(dirname "$0")/lib.sh"
bin="${1:?usage: check_runtime_deps.sh path/to/tracegate [jemalloc|system]}"
allocator="${2:-}"
need readelf ldd dpkg-query
# The allocator the build chose is the one the binary links (a silent fall-back to glibc
# malloc would cost a quarter to a third of the gateway's CPU per event: bench/README.md).
if [ "$allocator" = "jemalloc" ]; then
  readelf -d "$bin" | grep -q 'NEEDED.*\[libjemalloc\.so' ||
    { echo "FAIL: built with TRACEGATE_ALLOCATOR=jemalloc but $bin does not link libjemalloc"; exit 1; }
fi
read -r -a runtime <<<"$("$SRC/scripts/install-deps.sh" --list runtime)"
missing=()
linked=$(ldd "$bin")
while read -r lib; do
  path=$(awk -v l="$lib" '$1 == l {print $3}' <<<"$linked")
  [ -n "$path" ] || { echo "FAIL: $lib not found by ldd"; exit 1; }
  real=$(readlink -f "$path")
  pkg=""
  for candidate in "$path" "/usr$path" "$real" "/usr$real"; do
    pkg=$(dpkg-query -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$pkg" ] && break
  done
  [ -n "$pkg" ] || { echo "FAIL: no Debian package owns $path"; exit 1; }
  case " ${runtime[*]} libc6 " in
    *" $pkg "*) ;;
    *) missing+=("$pkg ($lib)") ;;
  esac
done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
if [ ${#missing[@]} -gt 0 ]; then
  echo "FAIL: add to the runtime group of scripts/install-deps.sh: ${missing[*]}"; exit 1
fi
# And every package of the group exists in Debian (installed here, or known to apt).
for pkg in "${runtime[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && continue
  apt-cache show "$pkg" >/dev/null 2>&1 && continue
  echo "FAIL: runtime package $pkg is unknown to apt"; exit 1
done
echo "runtime deps: OK"
