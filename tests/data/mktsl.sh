#!/bin/sh
# mktsl.sh DIR BASEURL [N]: a generated trusted list (TSL) with its PKI
# and CRLs, for the end-to-end tests. Needs $GENCRL (tests/data/gencrl)
# and the OpenSSL CLI with the gost engine.
#
# N CAs (default 12); CA i (1..N) uses rsa, ecdsa, gost256, gost512 as
# (i - 1) % 4 is 0..3, and has 1 + i % 2 keys (odd CAs have two). Each
# key K of CA I is its own self-signed CA certificate, subject
# "CN=Test CA I key K, O=Test CA I, C=RU", valid from now - 1 day for
# 3650 days. DIR gets, per key:
#   caI-K.pem caI-K.key   the CA (keyCertSign+cRLSign, SKI)
#   caI-K-good.pem        an end-entity certificate it issued, 0x1001
#   caI-K-revoked.pem     another, 0x2002, revoked in the CRL
#   crl/caI-K.crl         DER CRL by $GENCRL: number 1, thisUpdate now,
#                         nextUpdate now + 1 day, 0x2002 revoked at
#                         now - 1 hour for keyCompromise
#   mirror/caI-K.crl      the same bytes
# and once:
#   tsl.xml   the list in the real schema (BOM, CRLF): Версия 100 (or
#             $TSL_VERSION), per key the CRL addresses BASEURL/crl/caI-K.crl
#             then BASEURL/mirror/caI-K.crl, except CA 2 key 1 whose first
#             address is BASEURL/missing/ca2-1.crl; CA 3 is "Прекращена"
#   cas.tsv   one line per key (with a header): ca key alg short_name cert
#             key_file good revoked crl url1 url2; paths relative to DIR
#
# Silent on success; on failure, the end of the failing step's trace on
# stderr. Takes about 4 s for N = 12 on two cores (keys are made in
# parallel).
set -eu

prog=mktsl.sh

die() {
	echo "$prog: $*" >&2
	exit 1
}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: GENCRL=PATH $prog DIR BASEURL [N]" >&2
	exit 2
fi
dir=$1
base=${2%/}
n=${3:-12}
case $n in '' | *[!0-9]*) die "N must be a positive number" ;; esac
[ "$n" -ge 1 ] || die "N must be a positive number"
version=${TSL_VERSION:-100}
: "${GENCRL:?$prog: set GENCRL to the path of tests/data/gencrl}"
case $GENCRL in /*) ;; *) GENCRL=$PWD/$GENCRL ;; esac
[ -x "$GENCRL" ] || die "$GENCRL is not executable"

now=$(date -u +%s)
# openssl ca validity bounds: now - 1 day, then 10 years (end entities 1).
ca_start=$(date -u -d "@$((now - 86400))" +%Y%m%d%H%M%SZ)
ca_end=$(date -u -d "@$((now - 86400 + 3650 * 86400))" +%Y%m%d%H%M%SZ)
ee_end=$(date -u -d "@$((now + 365 * 86400))" +%Y%m%d%H%M%SZ)

mkdir -p "$dir/crl" "$dir/mirror"
cd "$dir"
rm -rf .work
mkdir .work
work=$PWD/.work
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# ---- OpenSSL configuration ---------------------------------------------

cat > "$work/ext.cnf" <<'CNF'
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# `openssl ca` (the only CLI way to back-date notBefore), one database
# per key so that keys can be made in parallel.
cat > "$work/ca.cnf" <<'CNF'
[ca]
default_ca = tca
[tca]
database = index.txt
new_certs_dir = .
serial = serial
policy = pol
unique_subject = no
email_in_dn = no
copy_extensions = none
default_md = sha256
[pol]
countryName = optional
organizationName = optional
commonName = supplied
CNF

# ---- helpers ------------------------------------------------------------

# alg_of I: the algorithm of CA I.
alg_of() {
	case $((($1 - 1) % 4)) in
	0) echo rsa ;;
	1) echo ecdsa ;;
	2) echo gost256 ;;
	3) echo gost512 ;;
	esac
}

# engine ALG: the engine option of openssl commands for ALG.
engine() {
	case $1 in gost*) echo "-engine gost" ;; esac
}

# md ALG: the digest name for `openssl ca -md`.
md() {
	case $1 in
	gost256) echo md_gost12_256 ;;
	gost512) echo md_gost12_512 ;;
	*) echo sha256 ;;
	esac
}

# genkey ALG FILE
genkey() {
	case $1 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -quiet -out "$2" ;;
	ecdsa) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	gost256) openssl genpkey -engine gost -algorithm gost2012_256 -pkeyopt paramset:A -out "$2" ;;
	gost512) openssl genpkey -engine gost -algorithm gost2012_512 -pkeyopt paramset:A -out "$2" ;;
	esac
}

# csr ALG KEY SUBJECT OUT
csr() {
	# shellcheck disable=SC2046
	openssl req -new $(engine "$1") -key "$2" -subj "$3" \
		-config "$work/ext.cnf" -out "$4"
}

# sign ALG SERIAL START END EXT CSR OUT OPTION...: `openssl ca` in the
# key's work directory, signing with ./ca.key; OPTION is -selfsign or
# -cert CA-CERT.
sign() {
	printf '%s\n' "$2" > serial
	_alg=$1 _start=$3 _end=$4 _ext=$5 _in=$6 _out=$7
	shift 7
	# shellcheck disable=SC2046
	openssl ca -batch -notext -preserveDN $(engine "$_alg") \
		-md "$(md "$_alg")" -config "$work/ca.cnf" -keyfile ca.key \
		-startdate "$_start" -enddate "$_end" -extfile "$work/ext.cnf" \
		-extensions "$_ext" -in "$_in" -out "$_out" "$@"
}

# iso EPOCH: an xs:dateTime in Moscow time, as the real list writes it.
iso() {
	date -u -d "@$(($1 + 10800))" +%Y-%m-%dT%H:%M:%S+03:00
}

# certdate "Mon DD HH:MM:SS YYYY GMT": iso of an openssl date.
certdate() {
	iso "$(date -u -d "$1" +%s)"
}

# xml TEXT: TEXT escaped for element content.
xml() {
	printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g'
}

# nameopt: "CN=…, O=…, C=RU" (RFC 2253 order, comma and space).
nameopt=esc_2253,esc_ctrl,esc_msb,utf8,dump_nostr,dump_unknown,dump_der,sep_comma_plus_space,dn_rev,sname

# ---- one key ------------------------------------------------------------

# make_key I K ALG: key K of CA I (files in DIR, see the top), and in
# $work/caI-K/ what the list needs: info (SKI, SHA-1 thumbprint, issuer,
# subject, serial, notBefore, notAfter, one a line) and b64 (the DER
# certificate in base64, 64 characters a line). Runs in a subshell.
make_key() {
	name=ca$1-$2
	mkdir "$work/$name"
	cd "$work/$name"
	: > index.txt
	genkey "$3" ca.key
	csr "$3" ca.key "/C=RU/O=Test CA $1/CN=Test CA $1 key $2" ca.csr
	sign "$3" "$(printf '%04X' $(($1 * 256 + $2)))" "$ca_start" "$ca_end" \
		ca ca.csr ca.pem -selfsign
	csr "$3" "$work/ee-$3.key" "/C=RU/O=Test CA $1/CN=Good holder of $name" good.csr
	sign "$3" 1001 "$ca_start" "$ee_end" leaf good.csr good.pem -cert ca.pem
	csr "$3" "$work/ee-$3.key" "/C=RU/O=Test CA $1/CN=Revoked holder of $name" revoked.csr
	sign "$3" 2002 "$ca_start" "$ee_end" leaf revoked.csr revoked.pem -cert ca.pem
	"$GENCRL" --ca-cert ca.pem --ca-key ca.key --out ca.crl --number 1 \
		--this-update "@$now" --next-update "@$((now + 86400))" \
		--entry 2002,,keyCompromise

	cp ca.pem "../../$name.pem"
	cp ca.key "../../$name.key"
	cp good.pem "../../$name-good.pem"
	cp revoked.pem "../../$name-revoked.pem"
	cp ca.crl "../../crl/$name.crl"
	cp ca.crl "../../mirror/$name.crl"

	x509="openssl x509 $(engine "$3") -in ca.pem -noout"
	{
		$x509 -ext subjectKeyIdentifier | sed -n '2{s/[ :]//g;p;}'
		$x509 -fingerprint -sha1 | sed 's/.*=//; s/://g'
		$x509 -issuer -nameopt "$nameopt" | sed 's/^issuer=//'
		$x509 -subject -nameopt "$nameopt" | sed 's/^subject=//'
		$x509 -serial | sed 's/^serial=//'
		certdate "$($x509 -startdate | sed 's/^notBefore=//')"
		certdate "$($x509 -enddate | sed 's/^notAfter=//')"
	} > info
	sed '1d;$d' ca.pem > b64
	if [ "$(wc -l < info)" -ne 7 ] || [ -z "$(sed -n 1p info)" ]; then
		die "$name: cannot read the certificate"
	fi
}

# ---- the PKI, in parallel -----------------------------------------------

i=1
algs=
while [ "$i" -le "$n" ] && [ "$i" -le 4 ]; do
	algs="$algs $(alg_of "$i")"
	i=$((i + 1))
done
for alg in $algs; do
	genkey "$alg" "$work/ee-$alg.key" 2> "$work/ee-$alg.log" || {
		cat "$work/ee-$alg.log" >&2
		die "cannot make a $alg key"
	}
done

jobs=
i=1
while [ "$i" -le "$n" ]; do
	k=1
	while [ "$k" -le $((1 + i % 2)) ]; do
		(
			trap - EXIT INT TERM
			set -x
			make_key "$i" "$k" "$(alg_of "$i")"
		) > "$work/ca$i-$k.log" 2>&1 &
		jobs="$jobs $!:ca$i-$k"
		k=$((k + 1))
	done
	i=$((i + 1))
done
failed=
for job in $jobs; do
	wait "${job%%:*}" || {
		echo "$prog: making ${job#*:} failed; the end of its trace:" >&2
		tail -n 15 "$work/${job#*:}.log" >&2
		failed=1
	}
done
[ -z "$failed" ] || exit 1

# ---- the list -----------------------------------------------------------

base_xml=$(xml "$base")

# write_key I K: one Ключ.
write_key() {
	{
		read -r ski
		read -r thumb
		read -r issuer
		read -r subject
		read -r serial
		read -r not_before
		read -r not_after
	} < "$work/ca$1-$2/info"
	url1=$base_xml/crl/ca$1-$2.crl
	[ "$1-$2" != 2-1 ] || url1=$base_xml/missing/ca2-1.crl
	cat <<XML
          <Ключ>
            <ИдентификаторКлюча>$ski</ИдентификаторКлюча>
            <АдресаСписковОтзыва>
              <Адрес>$url1</Адрес>
              <Адрес>$base_xml/mirror/ca$1-$2.crl</Адрес>
            </АдресаСписковОтзыва>
            <Сертификаты>
              <ДанныеСертификата>
                <Отпечаток>$thumb</Отпечаток>
                <КемВыдан>$(xml "$issuer")</КемВыдан>
                <КомуВыдан>$(xml "$subject")</КомуВыдан>
                <СерийныйНомер>$serial</СерийныйНомер>
                <ПериодДействияС>$not_before</ПериодДействияС>
                <ПериодДействияДо>$not_after</ПериодДействияДо>
                <Данные>$(cat "$work/ca$1-$2/b64")</Данные>
              </ДанныеСертификата>
            </Сертификаты>
          </Ключ>
XML
}

# write_ca I: one УдостоверяющийЦентр.
write_ca() {
	cat <<XML
  <УдостоверяющийЦентр>
    <Название>Тестовый УЦ $1</Название>
    <ЭлектроннаяПочта>ca$1@example.ru</ЭлектроннаяПочта>
    <КраткоеНазвание>Test CA $1</КраткоеНазвание>
    <Адрес><Страна>RU</Страна><Город>Москва</Город><Регион><Код>77</Код><Название>Москва</Название></Регион></Адрес>
    <ПрограммноАппаратныеКомплексы>
      <ПрограммноАппаратныйКомплекс>
        <Псевдоним>pak$1</Псевдоним>
        <Адрес><Город>Москва</Город></Адрес>
        <КлючиУполномоченныхЛиц>
XML
	k=1
	while [ "$k" -le $((1 + $1 % 2)) ]; do
		write_key "$1" "$k"
		k=$((k + 1))
	done
	cat <<XML
        </КлючиУполномоченныхЛиц>
      </ПрограммноАппаратныйКомплекс>
    </ПрограммноАппаратныеКомплексы>
    <ИНН>$(printf '77%08d' "$1")</ИНН>
    <ОГРН>$(printf '10277%08d' "$1")</ОГРН>
XML
	if [ "$1" -eq 3 ]; then
		cat <<'XML'
    <СтатусАккредитации>
      <Статус>Прекращена</Статус>
      <ДействуетС>2024-03-01T00:00:00+03:00</ДействуетС>
    </СтатусАккредитации>
    <ИсторияСтатусовАккредитации>
      <СтатусАккредитации><Статус>Действует</Статус><ДействуетС>2019-08-13T00:00:00+03:00</ДействуетС><ДействуетПо>2024-03-01T00:00:00+03:00</ДействуетПо></СтатусАккредитации>
      <СтатусАккредитации><Статус>Прекращена</Статус><ДействуетС>2024-03-01T00:00:00+03:00</ДействуетС></СтатусАккредитации>
    </ИсторияСтатусовАккредитации>
XML
	else
		cat <<'XML'
    <СтатусАккредитации>
      <Статус>Действует</Статус>
      <ДействуетС>2019-08-13T00:00:00+03:00</ДействуетС>
    </СтатусАккредитации>
    <ИсторияСтатусовАккредитации>
      <СтатусАккредитации><Статус>Действует</Статус><ДействуетС>2019-08-13T00:00:00+03:00</ДействуетС></СтатусАккредитации>
    </ИсторияСтатусовАккредитации>
XML
	fi
	echo "  </УдостоверяющийЦентр>"
}

{
	cat <<XML
<?xml version="1.0" encoding="utf-8"?>
<АккредитованныеУдостоверяющиеЦентры xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Версия>$version</Версия>
  <Дата>$(iso "$now")</Дата>
XML
	i=1
	while [ "$i" -le "$n" ]; do
		write_ca "$i"
		i=$((i + 1))
	done
	echo "</АккредитованныеУдостоверяющиеЦентры>"
} > "$work/tsl.lf"
{
	printf '\357\273\277'
	awk '{ printf "%s\r\n", $0 }' "$work/tsl.lf"
} > tsl.xml.tmp
mv tsl.xml.tmp tsl.xml

# ---- cas.tsv ------------------------------------------------------------

{
	printf 'ca\tkey\talg\tshort_name\tcert\tkey_file\tgood\trevoked\tcrl\turl1\turl2\n'
	i=1
	while [ "$i" -le "$n" ]; do
		k=1
		while [ "$k" -le $((1 + i % 2)) ]; do
			name=ca$i-$k
			url1=$base/crl/$name.crl
			[ "$i-$k" != 2-1 ] || url1=$base/missing/ca2-1.crl
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
				"$i" "$k" "$(alg_of "$i")" "Test CA $i" "$name.pem" \
				"$name.key" "$name-good.pem" "$name-revoked.pem" \
				"crl/$name.crl" "$url1" "$base/mirror/$name.crl"
			k=$((k + 1))
		done
		i=$((i + 1))
	done
} > cas.tsv.tmp
mv cas.tsv.tmp cas.tsv
