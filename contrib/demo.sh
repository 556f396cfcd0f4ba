#!/bin/sh
# demo.sh: a demo PKI in a temporary folder (RSA, ECDSA and GOST R
# 34.10-2012 CAs made with the openssl CLI, each with a delegated OCSP
# responder), one CRL from each CA made with `openssl ca -gencrl`, and a
# demo trusted list in the Ministry's schema naming the three CAs and
# their CRL addresses, all served by a local HTTP server (python3) on
# 127.0.0.1:$OTZYV_DEMO_PORT+2. otzyvd starts on 127.0.0.1:$OTZYV_DEMO_PORT
# (default 8080; admin listener on +1) from nothing but that list: it
# fetches the list, every CRL, and answers. The script waits until every
# CA is fresh, prints a few statuses as an operator would ask, and the
# commands to query it. Ctrl-C stops it and removes the folder.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
otzyv=${OTZYV:-$here/src/otzyv}
otzyvd=${OTZYVD:-$here/src/otzyvd}
port=${OTZYV_DEMO_PORT:-8080}
admin=$((port + 1))
www=$((port + 2))
work=$(mktemp -d "${TMPDIR:-/tmp}/otzyv-demo.XXXXXX")
daemon=
server=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" || true
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" || true
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

# The trusted list: root АккредитованныеУдостоверяющиеЦентры, one
# УдостоверяющийЦентр per CA with its key, CRL address and certificate
# (base64 DER with its SHA-1 thumbprint), as the Ministry publishes it.
mkdir -p "$work/www/crl"
base=http://127.0.0.1:$www
n=0
{
	printf '<?xml version="1.0" encoding="utf-8"?>\n'
	printf '<АккредитованныеУдостоверяющиеЦентры>\n'
	printf '  <Версия>1</Версия>\n  <Дата>%s</Дата>\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	for alg in rsa ecdsa gost256; do
		n=$((n + 1))
		cp "$alg.crl" "$work/www/crl/$alg.crl"
		export OPENSSL_CONF="$work/gost.cnf"
		thumb=$(openssl x509 -in "$alg-ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
		keyid=$(openssl x509 -in "$alg-ca.pem" -noout -ext subjectKeyIdentifier | sed -n '2s/[ :]//gp')
		unset OPENSSL_CONF
		cat <<XML
  <УдостоверяющийЦентр>
    <Название>Демонстрационный УЦ $n ($alg)</Название>
    <КраткоеНазвание>demo-$alg</КраткоеНазвание>
    <ПрограммноАппаратныеКомплексы><ПрограммноАппаратныйКомплекс>
      <КлючиУполномоченныхЛиц><Ключ>
        <ИдентификаторКлюча>$keyid</ИдентификаторКлюча>
        <АдресаСписковОтзыва><Адрес>$base/crl/$alg.crl</Адрес></АдресаСписковОтзыва>
        <Сертификаты><ДанныеСертификата>
          <Отпечаток>$thumb</Отпечаток>
          <Данные>$(openssl x509 -in "$alg-ca.pem" -outform DER | base64 -w 64)</Данные>
        </ДанныеСертификата></Сертификаты>
      </Ключ></КлючиУполномоченныхЛиц>
    </ПрограммноАппаратныйКомплекс></ПрограммноАппаратныеКомплексы>
    <ИНН>770000000$n</ИНН>
    <ОГРН>102770000000$n</ОГРН>
    <СтатусАккредитации><Статус>Действует</Статус><ДействуетС>2024-01-01T00:00:00+03:00</ДействуетС></СтатусАккредитации>
  </УдостоверяющийЦентр>
XML
	done
	printf '</АккредитованныеУдостоверяющиеЦентры>\n'
} > "$work/www/tsl.xml"
python3 -m http.server --bind 127.0.0.1 --directory "$work/www" "$www" \
	>"$work/www.log" 2>&1 &
server=$!
i=0
until curl -sf "$base/tsl.xml" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -le 50 ] || { echo "the list's HTTP server did not start (port $www)"; exit 1; }
	sleep 0.1
done

# The list brings the CAs and their CRL addresses; the [ca] sections
# only add delegated responders for two of them.
cat > "$work/otzyv.conf" <<CONF
[store]
path = $work/store

[server]
listen = 127.0.0.1:$port
admin_listen = 127.0.0.1:$admin

[responder]
cert = $work/pki/ecdsa-ocsp.pem
key = $work/pki/ecdsa-ocsp.key

[fetch]
interval = 5m
retry_min = 2s

[tsl]
url = $base/tsl.xml

[ca demo-rsa]
cert = $work/pki/rsa-ca.pem
responder_cert = $work/pki/rsa-ocsp.pem
responder_key = $work/pki/rsa-ocsp.key

[ca demo-gost]
cert = $work/pki/gost256-ca.pem
responder_cert = $work/pki/gost256-ocsp.pem
responder_key = $work/pki/gost256-ocsp.key
CONF

run() { say "otzyv $*"; "$otzyv" -c "$work/otzyv.conf" "$@" || echo "(exit $?)"; }

say "otzyvd -c $work/otzyv.conf"
"$otzyvd" -c "$work/otzyv.conf" &
daemon=$!
i=0
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$daemon" 2>/dev/null; then
		echo "otzyvd did not become ready (is port $port, $admin or $www taken? set OTZYV_DEMO_PORT)"
		exit 1
	fi
	sleep 0.1
done
p=$work/pki
run cas
run check --warn 12h --crit 1d
run status "$p/gost256-leaf.pem"
run status --issuer "$p/ecdsa-ca.pem" --serial 2002
run status --issuer "$p/rsa-ca.pem" --serial 3003
run status --issuer "$p/rsa-ca.pem" --serial 1001 --at 2026-01-01T00:00:00Z
cat <<TXT

otzyvd answers OCSP on http://127.0.0.1:$port/ . Paste any of these:

  # revoked (keyCompromise), RSA CA, delegated responder:
  openssl ocsp -url http://127.0.0.1:$port/ -issuer $p/rsa-ca.pem -cert $p/rsa-leaf.pem -CAfile $p/rsa-ca.pem
  # on hold (certificateHold), ECDSA CA:
  openssl ocsp -url http://127.0.0.1:$port/ -issuer $p/ecdsa-ca.pem -serial 0x2002 -CAfile $p/ecdsa-ca.pem
  # good, GOST R 34.10-2012 CA and responder, Streebog-256 CertID:
  OPENSSL_CONF=$work/gost.cnf openssl ocsp -url http://127.0.0.1:$port/ -issuer $p/gost256-ca.pem -md_gost12_256 -serial 0x3003 -CAfile $p/gost256-ca.pem
  # every CA: state, CRL, next fetch (JSON; the same as a page at /):
  curl http://127.0.0.1:$port/v1/cas
  # the last good CRL of CA 1, as fetched:
  curl -o ca1.crl http://127.0.0.1:$port/crl/1.crl
  # fetch everything now (admin listener):
  curl -X POST http://127.0.0.1:$admin/v1/admin/refresh
  # readiness and metrics:
  curl http://127.0.0.1:$port/readyz
  curl http://127.0.0.1:$port/metrics

The status page: http://127.0.0.1:$port/ in a browser.

Ctrl-C stops otzyvd and removes $work.
TXT
wait "$daemon"
