#!/bin/sh
# demo.sh [OTZYV]: a demo PKI in a temporary folder (RSA, ECDSA and
# GOST R 34.10-2012 CAs made with the openssl CLI), one CRL from each CA
# made with `openssl ca -gencrl`, imported into a fresh store, and the
# statuses of a few certificates printed as an operator would ask.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
otzyv=${1:-$here/src/otzyv}
work=$(mktemp -d "${TMPDIR:-/tmp}/otzyv-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

sh "$here/tests/data/mkpki.sh" "$work/pki" rsa ecdsa gost256 >/dev/null
cd "$work/pki"

# Each CA's database: the leaf (serial 1001) revoked for keyCompromise,
# 2002 on hold, 3003 valid.
cat > ca.cnf <<'CNF'
[ca]
default_ca = demo
[demo]
database = index.txt
crlnumber = crlnumber
default_md = default
default_crl_days = 1
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid
CNF
for alg in rsa ecdsa gost256; do
	printf 'R\t301231235959Z\t260110090000Z,keyCompromise\t1001\tunknown\t/CN=leaf\n' > index.txt
	printf 'R\t301231235959Z\t261101120000Z,certificateHold\t2002\tunknown\t/CN=held\n' >> index.txt
	printf 'V\t301231235959Z\t\t3003\tunknown\t/CN=valid\n' >> index.txt
	echo 01 > crlnumber
	engine=
	[ "$alg" = gost256 ] && engine="-engine gost"
	# shellcheck disable=SC2086
	openssl ca $engine -config ca.cnf -gencrl -keyfile "$alg-ca.key" \
		-cert "$alg-ca.pem" -out "$alg.crl" 2>/dev/null
done

cat > "$work/otzyv.conf" <<CONF
[store]
path = $work/store

[ca demo-rsa]
cert = $work/pki/rsa-ca.pem

[ca demo-ecdsa]
cert = $work/pki/ecdsa-ca.pem

[ca demo-gost]
cert = $work/pki/gost256-ca.pem
CONF

run() { say "otzyv $*"; "$otzyv" -c "$work/otzyv.conf" "$@" || echo "(exit $?)"; }

run import-crl "$work/pki/rsa.crl" "$work/pki/ecdsa.crl" "$work/pki/gost256.crl"
run cas
run status "$work/pki/gost256-leaf.pem"
run status --issuer "$work/pki/ecdsa-ca.pem" --serial 2002
run status --issuer "$work/pki/rsa-ca.pem" --serial 3003
run status --issuer "$work/pki/rsa-ca.pem" --serial 1001 --at 2026-01-01T00:00:00Z
run status --json "$work/pki/rsa-leaf.pem"
run events
