#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The drift key tools end to end, unprivileged, in a private temp directory
# (HOME points there too, so the default ~/.drift is never the real one):
# genkey | pubkey, the known public key and peer id of the all-0x11 secret,
# keygen (0600, 36 bytes, "DRFT", no overwrite without --force, no temp
# files left), info on good and bad key files (0644, 35 bytes, bad magic,
# missing), bad hex on stdin, --help for every command, and usage errors.
#
# Usage: cli_keys.sh PATH_TO_DRIFT
#
# Checks are written in single quotes for eval, so they expand when they run.
# shellcheck disable=SC2016,SC2034,SC2088
set -u

drift=${1:?usage: cli_keys.sh PATH_TO_DRIFT}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli_keys.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp/home
mkdir -p "$HOME"
umask 022 # so files made here with printf are 0644 unless chmod'ed

# The all-0x11 secret and what WIRE.md §3 says it maps to.
secret11=$(printf '11%.0s' $(seq 32))
pub11=7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13
id11=a0ad9eef2a0d64cb

passed=0
failed=0
rc=0

# run [--stdin STRING] CMD...: runs CMD, keeping stdout, stderr and status.
run() {
	local input=""
	if [ "$1" = --stdin ]; then
		input=$2
		shift 2
	fi
	printf '%s' "$input" | "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# check DESCRIPTION TEST...: records one numbered result.
check() {
	local desc=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok $((passed + failed)) - $desc"
	else
		failed=$((failed + 1))
		echo "not ok $((passed + failed)) - $desc"
		echo "  exit status: $rc"
		echo "  stdout: $(head -c 600 "$tmp/out")"
		echo "  stderr: $(head -c 600 "$tmp/err")"
	fi
}

out_has() { grep -qF -- "$1" "$tmp/out"; }
err_has() { grep -qF -- "$1" "$tmp/err"; }
succeeded() { [ "$rc" -eq 0 ]; }
# A refusal: non-zero status, nothing on stdout, one or more lines on stderr with each needle.
refused() {
	[ "$rc" -ne 0 ] && [ ! -s "$tmp/out" ] && [ -s "$tmp/err" ] || return 1
	local needle
	for needle in "$@"; do
		err_has "$needle" || return 1
	done
}
is_hex64() { printf '%s' "$1" | grep -qxE '[0-9a-f]{64}'; }
no_temp_files() { [ -z "$(find "$1" -name '*.tmp.*')" ]; }

# --- genkey and pubkey -------------------------------------------------------
run "$drift" genkey
key1=$(cat "$tmp/out")
check "genkey prints 64 lowercase hex characters" eval 'succeeded && is_hex64 "$key1"'
check "genkey output is exactly 65 bytes (key + newline)" test "$(wc -c <"$tmp/out")" -eq 65
run "$drift" genkey
check "two genkeys differ" eval 'is_hex64 "$(cat "$tmp/out")" && test "$(cat "$tmp/out")" != "$key1"'

run --stdin "$key1" "$drift" pubkey
pub1=$(cat "$tmp/out")
check "genkey | pubkey gives a 64-hex public key" eval 'succeeded && is_hex64 "$pub1"'
run --stdin "$(printf '%s' "$key1" | tr a-f A-F)" "$drift" pubkey
check "pubkey accepts uppercase hex" eval 'is_hex64 "$pub1" && test "$(cat "$tmp/out")" = "$pub1"'
run --stdin "$secret11" "$drift" pubkey
check "pubkey of 32 bytes of 0x11 is the known key" test "$(cat "$tmp/out")" = "$pub11"
run --stdin "$(printf '  \t%s \r\n\n' "$secret11")" "$drift" pubkey
check "pubkey ignores surrounding whitespace" test "$(cat "$tmp/out")" = "$pub11"

run --stdin "${secret11%1}g" "$drift" pubkey
check "pubkey refuses a non-hex character, naming it" refused '"g"' 'position 64'
run --stdin "${secret11%11}" "$drift" pubkey
check "pubkey refuses 62 hex digits, saying 64 are expected" refused '62' '64'
run --stdin "${secret11}00" "$drift" pubkey
check "pubkey refuses 66 hex digits" refused '66' '64'
run --stdin "" "$drift" pubkey
check "pubkey refuses empty input" refused 'no private key'
run --stdin "1111 $secret11" "$drift" pubkey
check "pubkey refuses two words" refused 'position 5'

# --- info on a key file written by hand --------------------------------------
f11=$tmp/k11.key
printf 'DRFT' >"$f11"
printf '\x11%.0s' $(seq 32) >>"$f11"
chmod 600 "$f11"
run "$drift" info --file "$f11"
check "info shows the known public key" eval 'succeeded && out_has "public key: $pub11"'
check "info shows the known peer id" out_has "peer id:    $id11"
run "$drift" info --file="$f11"
check "info accepts --file=FILE" out_has "$id11"

# --- keygen ------------------------------------------------------------------
kf=$tmp/keys/alice.key
mkdir -p "$tmp/keys"
run "$drift" keygen --out "$kf"
check "keygen --out succeeds" succeeded
check "keygen file has mode 0600" test "$(stat -c %a "$kf")" = 600
check "keygen file is 36 bytes" test "$(stat -c %s "$kf")" -eq 36
check "keygen file starts with DRFT" test "$(head -c 4 "$kf")" = DRFT
kg_pub=$(sed -n 's/^public key: //p' "$tmp/out")
kg_id=$(sed -n 's/^peer id: *//p' "$tmp/out")
check "keygen prints a public key" is_hex64 "$kg_pub"
check "keygen prints a 16-hex peer id" eval 'printf "%s" "$kg_id" | grep -qxE "[0-9a-f]{16}"'
run "$drift" info --file "$kf"
check "info agrees with keygen" eval 'out_has "public key: $kg_pub" && out_has "peer id:    $kg_id"'

cp "$kf" "$tmp/alice.copy"
run "$drift" keygen --out "$kf"
check "keygen refuses to overwrite without --force" refused "$kf" '--force'
check "the refused overwrite left the key unchanged" cmp -s "$kf" "$tmp/alice.copy"
run "$drift" keygen -o "$kf" -f
check "keygen --force replaces the key" eval \
	'succeeded && test "$(stat -c %s "$kf")" -eq 36 && ! cmp -s "$kf" "$tmp/alice.copy"'
check "the replaced key is still 0600" test "$(stat -c %a "$kf")" = 600
check "keygen leaves no temporary files" no_temp_files "$tmp/keys"
run "$drift" keygen --out "$tmp/no-such-dir/x.key"
check "keygen refuses a missing directory" refused 'no-such-dir' 'mkdir'

run "$drift" keygen
check "keygen with no --out uses ~/.drift/identity.key" eval \
	'succeeded && test -f "$HOME/.drift/identity.key"'
check "~/.drift is created with mode 0700" test "$(stat -c %a "$HOME/.drift")" = 700
check "~/.drift/identity.key is 0600" test "$(stat -c %a "$HOME/.drift/identity.key")" = 600
run "$drift" info
check "info with no --file reads ~/.drift/identity.key" eval \
	'succeeded && out_has "$HOME/.drift/identity.key"'

# --- key files that must be refused ------------------------------------------
bad=$tmp/bad
mkdir -p "$bad"
cp "$f11" "$bad/open.key"
chmod 644 "$bad/open.key"
run "$drift" info --file "$bad/open.key"
check "info refuses a 0644 key file with the chmod fix" refused "chmod 600 $bad/open.key"

head -c 35 "$f11" >"$bad/short.key"
chmod 600 "$bad/short.key"
run "$drift" info --file "$bad/short.key"
check "info refuses a 35-byte key file, naming 35 and 36" refused "$bad/short.key" '35' '36'

{
	printf 'DRFX'
	tail -c 32 "$f11"
} >"$bad/magic.key"
chmod 600 "$bad/magic.key"
run "$drift" info --file "$bad/magic.key"
check "info refuses a bad magic" refused "$bad/magic.key" 'DRFX' 'DRFT'

run "$drift" info --file "$bad/absent.key"
check "info refuses a missing file, naming it" refused "$bad/absent.key" 'drift keygen'

run "$drift" info --file "$bad"
check "info refuses a directory" refused "$bad" 'not a regular file'

# --- help and usage ----------------------------------------------------------
run "$drift" --help
check "drift --help lists every command" eval \
	'succeeded && out_has genkey && out_has pubkey && out_has keygen && out_has info && out_has demo'
check "drift --help lists keygen's and info's options" eval \
	'out_has "--out FILE" && out_has "--force" && out_has "--file FILE" && out_has "--version"'
for cmd in genkey pubkey keygen info demo; do
	run "$drift" "$cmd" --help
	check "drift $cmd --help" eval 'succeeded && out_has "Usage: drift $cmd" && out_has "--help"'
done
run "$drift" keygen --help
check "keygen --help lists --out and --force" eval 'out_has "--out FILE" && out_has "--force"'
run "$drift" info --help
check "info --help lists --file" out_has "--file FILE"
run "$drift" help keygen
check "drift help keygen" eval 'succeeded && out_has "Usage: drift keygen"'

run "$drift"
check "drift with no command is a usage error" eval '[ "$rc" -eq 2 ] && err_has Usage'
run "$drift" frobnicate
check "an unknown command is an error with usage" eval \
	'[ "$rc" -eq 2 ] && err_has "\"frobnicate\"" && err_has Usage'
run "$drift" keygen --bogus
check "an unknown option is an error with usage" eval \
	'[ "$rc" -eq 2 ] && err_has "\"--bogus\"" && err_has "Usage: drift keygen"'
run "$drift" keygen --out
check "a missing option value is an error" eval '[ "$rc" -eq 2 ] && err_has "needs a value"'
run "$drift" genkey extra
check "a stray argument is an error" eval '[ "$rc" -eq 2 ] && err_has "\"extra\""'

# --- the demo ----------------------------------------------------------------
run "$drift" demo
check "drift demo runs and every step checks out" eval \
	'succeeded && out_has "All steps behaved as expected"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
