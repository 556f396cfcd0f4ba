#!/bin/sh
# pageshot.sh URL OUT.png NAME...
#
# Renders URL in headless Chromium into OUT.png, reads the picture back
# with Tesseract OCR, and exits 0 only when every NAME shows on it
# (case-insensitive, runs of white space counted as one space). This
# checks what a person sees, not what the markup says: a name hidden by
# CSS, clipped, or drawn unreadably fails.
#
# Exit: 0 every name seen; 1 some name missing (listed on stdout) or
# a tool failed; 2 usage; 77 chromium or tesseract is not installed
# (the automake "skipped" code).
#
# Debian packages: chromium, tesseract-ocr, tesseract-ocr-eng,
# tesseract-ocr-rus.

set -u

# Seconds each tool may take: Chromium can hang on exit when headless.
LIMIT=60

if [ $# -lt 3 ]; then
	echo "usage: pageshot.sh URL OUT.png NAME..." >&2
	exit 2
fi
url=$1
out=$2
shift 2

for tool in chromium tesseract timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "pageshot: $tool not installed" >&2
		exit 77
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pageshot.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# A private profile and HOME: nothing read from or written to the user's.
mkdir "$tmp/home" "$tmp/profile" || exit 1
rm -f "$out"
HOME=$tmp/home timeout "$LIMIT" chromium --headless --no-sandbox \
	--disable-gpu --hide-scrollbars --window-size=1400,3000 \
	--user-data-dir="$tmp/profile" --no-first-run \
	--screenshot="$out" "$url" >"$tmp/chromium.log" 2>&1
rc=$?
if [ ! -s "$out" ]; then
	echo "pageshot: chromium made no screenshot (exit $rc):" >&2
	cat "$tmp/chromium.log" >&2
	exit 1
fi

if ! HOME=$tmp/home timeout "$LIMIT" tesseract "$out" - -l eng+rus \
	>"$tmp/ocr.txt" 2>"$tmp/tesseract.log"; then
	echo "pageshot: tesseract failed:" >&2
	cat "$tmp/tesseract.log" >&2
	exit 1
fi

# grep -i and sed y/// handle Cyrillic only in a UTF-8 locale.
LC_ALL=C.UTF-8
export LC_ALL

# Runs of white space as one space; and Cyrillic letters drawn exactly
# like Latin ones as those Latin ones: read with both alphabets, the OCR
# picks either for "CA", and no one looking at the page could tell them
# apart either. Applied to the names as well as to the OCR text.
squeeze() {
	tr -s ' \t\n\r' '    ' | sed 's/^ //; s/ $//' |
		sed 'y/АВСЕНКМОРТХасеорух/ABCEHKMOPTXaceopyx/'
}
text=$(squeeze <"$tmp/ocr.txt")

missing=0
for name in "$@"; do
	want=$(printf '%s' "$name" | squeeze)
	if ! printf '%s\n' "$text" | grep -qiF -- "$want"; then
		echo "pageshot: not on the page: $name"
		missing=1
	fi
done
if [ "$missing" -ne 0 ]; then
	echo "pageshot: OCR text was: $text"
	exit 1
fi
exit 0
