#!/bin/sh
# demo.sh: a demo PKI in a temporary folder (RSA, ECDSA and GOST R
# 34.10-2012 CAs made with the openssl CLI, each with a delegated OCSP
# responder), one CRL from each CA made with `openssl ca -gencrl`,
# imported into a fresh store; a few statuses printed as an operator
# would ask; then otzyvd started on 127.0.0.1:$OTZYV_DEMO_PORT (default
# 8080) with the `openssl ocsp` commands to query it. Ctrl-C stops it
# and removes the folder.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
otzyv=${OTZYV:-$here/src/otzyv}
otzyvd=${OTZYVD:-$here/src/otzyvd}
port=${OTZYV_DEMO_PORT:-8080}
work=$(mktemp -d "${TMPDIR:-/tmp}/otzyv-demo.XXXXXX")
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

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

[server]
listen = 127.0.0.1:$port

[responder]
cert = $work/pki/ecdsa-ocsp.pem
key = $work/pki/ecdsa-ocsp.key

[ca demo-rsa]
cert = $work/pki/rsa-ca.pem
responder_cert = $work/pki/rsa-ocsp.pem
responder_key = $work/pki/rsa-ocsp.key

[ca demo-ecdsa]
cert = $work/pki/ecdsa-ca.pem

[ca demo-gost]
cert = $work/pki/gost256-ca.pem
responder_cert = $work/pki/gost256-ocsp.pem
responder_key = $work/pki/gost256-ocsp.key
CONF

run() { say "otzyv $*"; "$otzyv" -c "$work/otzyv.conf" "$@" || echo "(exit $?)"; }

run import-crl "$work/pki/rsa.crl" "$work/pki/ecdsa.crl" "$work/pki/gost256.crl"
run cas
run status "$work/pki/gost256-leaf.pem"
run status --issuer "$work/pki/ecdsa-ca.pem" --serial 2002
run status --issuer "$work/pki/rsa-ca.pem" --serial 3003
run status --issuer "$work/pki/rsa-ca.pem" --serial 1001 --at 2026-01-01T00:00:00Z
run status --json "$work/pki/rsa-leaf.pem"

say "otzyvd -c $work/otzyv.conf"
"$otzyvd" -c "$work/otzyv.conf" &
daemon=$!
i=0
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 "$daemon" 2>/dev/null; then
		echo "otzyvd did not start (is port $port taken? set OTZYV_DEMO_PORT)"
		exit 1
	fi
	sleep 0.1
done
p=$work/pki
# openssl ocsp takes no -engine: the GOST engine comes from a config.
cat > "$work/gost.cnf" <<'CNF'
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
gost = gost_section
[gost_section]
engine_id = gost
default_algorithms = ALL
CNF
cat <<TXT

otzyvd answers OCSP on http://127.0.0.1:$port/ . Paste any of these:

  # revoked (keyCompromise), RSA CA, delegated responder:
  openssl ocsp -url http://127.0.0.1:$port/ -issuer $p/rsa-ca.pem -cert $p/rsa-leaf.pem -CAfile $p/rsa-ca.pem
  # on hold (certificateHold), ECDSA CA:
  openssl ocsp -url http://127.0.0.1:$port/ -issuer $p/ecdsa-ca.pem -serial 0x2002 -CAfile $p/ecdsa-ca.pem
  # good, GOST R 34.10-2012 CA and responder, Streebog-256 CertID:
  OPENSSL_CONF=$work/gost.cnf openssl ocsp -url http://127.0.0.1:$port/ -issuer $p/gost256-ca.pem -md_gost12_256 -serial 0x3003 -CAfile $p/gost256-ca.pem
  # readiness and metrics:
  curl http://127.0.0.1:$port/readyz
  curl http://127.0.0.1:$port/metrics

Ctrl-C stops otzyvd and removes $work.
TXT
wait "$daemon"
