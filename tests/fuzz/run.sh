#!/bin/sh
# run.sh BUILDDIR SECONDS: builds the fuzz targets in BUILDDIR (configured
# with CC=clang --enable-fuzzers), makes the seed corpus in a temporary
# folder (mkcorpus.sh) and runs each target for SECONDS. Fails when a
# target fails; its crash input is kept in BUILDDIR/fuzz-artifacts/ and
# shown as a hex dump.
set -eu

[ $# -eq 2 ] || {
	echo "usage: $0 BUILDDIR SECONDS" >&2
	exit 2
}
build=$(cd "$1" && pwd)
secs=$2
here=$(cd "$(dirname "$0")" && pwd)
targets="der crl ocsp http tsl verify verify-request config status"

for t in $targets; do
	make -C "$build" -s -j2 "tests/fuzz/fuzz-$t" || {
		echo "run.sh: cannot build tests/fuzz/fuzz-$t in $build" \
			"(configure it with CC=clang --enable-fuzzers)" >&2
		exit 2
	}
done

work=$(mktemp -d "${TMPDIR:-/tmp}/otzyv-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
sh "$here/mkcorpus.sh" "$work/seed"
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"

# UBSan reports are failures too; leaks are checked by libFuzzer.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
export UBSAN_OPTIONS ASAN_OPTIONS

failed=
for t in $targets; do
	mkdir -p "$work/corpus-$t"
	log=$work/fuzz-$t.log
	echo "run.sh: fuzz-$t for ${secs}s"
	if "$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" \
		-timeout=10 -print_final_stats=1 \
		-artifact_prefix="$artifacts/$t-" \
		"$work/corpus-$t" "$work/seed/$t" >"$log" 2>&1; then
		grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' \
			"$log" || true
	else
		failed="$failed $t"
		tail -40 "$log"
		for f in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
			sort -u); do
			echo "run.sh: crash input $f:"
			od -An -tx1 -v "$f"
		done
	fi
done

if [ -n "$failed" ]; then
	echo "run.sh: FAILED:$failed" >&2
	exit 1
fi
echo "run.sh: all targets ran ${secs}s without a finding"
