#!/usr/bin/env bash
# Weft benchmark: the fake model server and `weft run` as separate processes on 127.0.0.1, one
# table of figures at the end (calls/s against C/L and the zero-overhead bound, CPU per call,
# peak RSS and heap, cached and --cache-only replay, a 1,000,000-record streamed run).
#
#   bench/run.sh            the full benchmark (about 10 minutes on 2 cores; the 1M-record run is most of it)
#   bench/run.sh --quick    small N everywhere (a couple of minutes)
#   bench/run.sh --help     every option (--only, --latency-ms, --jitter-ms, --rate-429, --rate-500, --jfr, ...)
#
# Builds cli/target/weft.jar and bench/target/weft-bench.jar when missing or older than the sources.
# Exit status 0 when every target is met, 1 when one is missed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

java_version() { # prints the major version of the java binary $1, or 0
  "$1" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}' || echo 0
}

find_java() { # the first java >= 21 in JAVA_HOME, PATH, /usr/lib/jvm (as ./weft does)
  local candidates=() c v
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for c in /usr/lib/jvm/*/bin/java; do [[ -x "$c" ]] && candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    [[ -x "$c" ]] || continue
    v="$(java_version "$c")"
    if [[ "$v" =~ ^[0-9]+$ ]] && (( v >= 21 )); then readlink -f "$c"; return; fi
  done
  echo "bench: needs Java 21 or newer; set JAVA_HOME or install a JDK >= 21" >&2
  exit 1
}

java_bin="$(find_java)"
jdk_home="$(dirname "$(dirname "$java_bin")")"

stale() { # true when jar $1 is missing or older than a source file under the folders $2...
  local jar="$1"; shift
  [[ -f "$jar" ]] || return 0
  [[ -n "$(find "$root/pom.xml" "$@" \( -path '*/target' -prune \) -o -newer "$jar" -type f \
      \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -print -quit 2>/dev/null)" ]]
}

modules=()
stale "$root/cli/target/weft.jar" "$root/engine" "$root/cli" && modules+=(cli)
stale "$root/bench/target/weft-bench.jar" "$root/engine" "$root/testkit" "$root/bench" && modules+=(bench)
[[ -f "$root/bench/target/weft-bench-0.1.0-SNAPSHOT-probe.jar" ]] || modules+=(bench)
if (( ${#modules[@]} > 0 )); then
  command -v mvn >/dev/null 2>&1 || { echo "bench: the jars are not built and Maven (mvn) is not installed" >&2; exit 1; }
  list="$(printf '%s\n' "${modules[@]}" | sort -u | paste -sd, -)"
  echo "bench: building $list (mvn -pl $list -am package -DskipTests)..." >&2
  if ! (cd "$root" && JAVA_HOME="$jdk_home" mvn -B -q -DskipTests -pl "$list" -am package >"${TMPDIR:-/tmp}/weft-bench-build.log" 2>&1); then
    echo "bench: the build failed; see ${TMPDIR:-/tmp}/weft-bench-build.log" >&2
    exit 1
  fi
fi

exec "$java_bin" --enable-native-access=ALL-UNNAMED -Dslf4j.internal.verbosity=ERROR -jar "$root/bench/target/weft-bench.jar" --root "$root" --java "$java_bin" "$@"
