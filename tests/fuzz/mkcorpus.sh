#!/bin/sh
# mkcorpus.sh DIR: a small seed corpus for the libFuzzer targets, made at
# build / CI time with the openssl CLI only (nothing binary is committed).
#
#   DIR/crl/  CRLs in DER: RSA and EC CAs, v1 and v2, with and without
#             entries, entry extensions (reason, invalidity date, hold
#             instruction) and CRL extensions (number, AKI, IDP, delta)
#   DIR/ocsp/ OCSP requests in DER: `openssl ocsp -reqout` with every
#             hash it offers without an engine, nonces, several issuers
#             and serials, signed with and without certs; and by
#             asn1parse -genconf, Streebog and GOST R 34.11-94 CertIDs
#             with version, requestorName and request / single
#             extensions
#   DIR/tsl/  trusted lists in the Ministry's schema: the two corpus CAs
#             (base64 with line breaks, history, two CRL addresses), a
#             wrong thumbprint, CRLF + BOM, a DOCTYPE, one cut short
#   DIR/der/  DER snippets: the CRLs and CA certificates again, and
#             values of every type the reader knows (times, INTEGERs,
#             BOOLEANs, BIT STRINGs, OIDs, nested and tagged values)
#   DIR/verify/ CMS SignedData from `openssl cms -sign`, in DER (one in
#             PEM, one in base64, each after a newline): attached,
#             detached, -noattr, -cades -keyid, two signers; by an EC
#             leaf of the EC CA and by the RSA CA itself; one with an
#             RFC 3161 timestamp of a TSA of the EC CA. The detached
#             ones also as *.framed for fuzz_verify's content mode:
#             0x01, the signature's length in 2 octets big-endian, the
#             signature, the content
#   DIR/verify-request/ POST /v1/verify JSON bodies: attached, with
#             content, with a content digest and "at", wrong types,
#             junk base64
#   DIR/status/ /v1/status questions for fuzz_status: batch bodies
#             (good, listed and malformed items, too many, not an
#             array), the EC CA certificate in DER and PEM, queries
#   DIR/config/ config files: etc/otzyv.conf, one setting every key
#             once (relative paths, [ca NAME] sections, lists), one
#             with a BOM, CRLF, comments and a continued value, and a
#             few refused ones
set -eu

[ $# -eq 1 ] || {
	echo "usage: $0 DIR" >&2
	exit 2
}
out=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out/crl" "$out/der" "$out/ocsp" "$out/http" "$out/tsl" \
	"$out/verify" "$out/verify-request" "$out/config" "$out/status"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/otzyv-corpus-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cd "$work"

# ---- CAs ----------------------------------------------------------------
cat >ext.cnf <<'EOF'
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
	-out rsa.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key
for alg in rsa ec; do
	openssl req -new -x509 -key "$alg.key" -sha256 -days 3650 \
		-subj "/C=RU/O=otzyv corpus/CN=Corpus CA $alg" -set_serial 1 \
		-config ext.cnf -extensions ca_ext -out "$alg-ca.pem" 2>/dev/null
	openssl x509 -in "$alg-ca.pem" -outform DER -out "$out/der/$alg-ca.der"
done

# ---- CRLs -----------------------------------------------------------------
# gencrl NAME ALG EXTSECTION INDEXLINES: one CRL through `openssl ca`.
# EXTSECTION "" gives a v1 CRL (unless entries carry reasons).
gencrl() {
	name=$1 alg=$2 ext=$3 lines=$4
	d=ca-$name
	mkdir -p "$d"
	printf '%b' "$lines" >"$d/index.txt"
	echo 1000 >"$d/crlnumber"
	{
		echo "[ca]"
		echo "default_ca = this"
		echo "[this]"
		echo "database = $d/index.txt"
		[ -z "$ext" ] || echo "crlnumber = $d/crlnumber"
		echo "default_md = sha256"
		echo "default_crl_days = 30"
		[ -z "$ext" ] || echo "crl_extensions = $ext"
		cat <<'EOF'
[number]
[aki]
authorityKeyIdentifier = keyid:always
[idp]
authorityKeyIdentifier = keyid:always
issuingDistributionPoint = critical, @idp_section
[idp_section]
fullname = URI:http://cdp.example.ru/corpus.crl
onlysomereasons = keyCompromise, CACompromise
[delta]
authorityKeyIdentifier = keyid:always
deltaCRL = critical, ASN1:INTEGER:999
[all]
authorityKeyIdentifier = keyid:always
issuerAltName = URI:http://ca.example.ru/
authorityInfoAccess = caIssuers;URI:http://ca.example.ru/ca.crt
freshestCRL = URI:http://cdp.example.ru/delta.crl
EOF
	} >"$d/ca.cnf"
	openssl ca -batch -gencrl -config "$d/ca.cnf" -keyfile "$alg.key" \
		-cert "$alg-ca.pem" -out "$d/crl.pem" 2>/dev/null
	openssl crl -in "$d/crl.pem" -outform DER -out "$out/crl/$name.der"
	cp "$out/crl/$name.der" "$out/der/crl-$name.der"
}

# index.txt lines: status, expiry, revocation[,reason[,extra]], serial,
# file, subject; "R" entries are revoked.
V='V\t301231235959Z\t\t'
R='R\t301231235959Z\t'
some="${R}240101000000Z\t1001\tunknown\t/CN=a\n"
some="$some${R}240102120000Z,keyTime,20231231000000Z\t01FF\tunknown\t/CN=b\n"
some="$some${R}240103000000Z,holdInstruction,holdInstructionReject\t7F0000\tunknown\t/CN=c\n"
some="$some${R}240104000000Z,superseded\t00\tunknown\t/CN=d\n"
some="$some${R}240105000000Z,removeFromCRL\t0102030405060708090A0B0C0D0E0F1011121314\tunknown\t/CN=e\n"
some="$some${R}240106000000Z,cessationOfOperation\t80\tunknown\t/CN=f\n"
some="$some${V}1002\tunknown\t/CN=g\n"
plain="${R}240101000000Z\t1001\tunknown\t/CN=a\n${R}240102000000Z\t2002\tunknown\t/CN=b\n"

gencrl rsa-v1-empty rsa "" "${V}1002\tunknown\t/CN=g\n"
gencrl rsa-v1-entries rsa "" "$plain"
gencrl rsa-v2-empty rsa number "${V}1002\tunknown\t/CN=g\n"
gencrl rsa-v2-entries rsa aki "$some"
gencrl ec-v2-empty ec aki "${V}1002\tunknown\t/CN=g\n"
gencrl ec-v2-entries ec number "$some"
gencrl ec-idp ec idp "$plain"
gencrl ec-delta ec delta "$some"
gencrl rsa-all rsa all "$some"

# ---- OCSP requests ----------------------------------------------------------
# ocspreq NAME ARGS...: one request through `openssl ocsp -reqout`.
ocspreq() {
	name=$1
	shift
	openssl ocsp "$@" -reqout "$out/ocsp/$name.der" >/dev/null 2>&1
}
ocspreq sha1 -issuer rsa-ca.pem -cert ec-ca.pem -no_nonce
ocspreq sha256-nonce -issuer ec-ca.pem -sha256 -serial 0x1001 -nonce
ocspreq sha384 -issuer rsa-ca.pem -sha384 -serial 0x1001 -no_nonce
ocspreq sha512-serials -issuer rsa-ca.pem -sha512 -serial 1 -serial -5 \
	-serial 0 -serial 0x80 \
	-serial 0x0102030405060708090A0B0C0D0E0F1011121314 -no_nonce
ocspreq two-issuers -issuer rsa-ca.pem -serial 1 -sha256 \
	-issuer ec-ca.pem -serial 2 -nonce
ocspreq signed -issuer rsa-ca.pem -serial 0x1001 -signer rsa-ca.pem \
	-signkey rsa.key -nonce
ocspreq signed-nocerts -issuer ec-ca.pem -serial 7 -signer ec-ca.pem \
	-signkey ec.key -no_certs -no_nonce

# GOST hashes without the engine: the CertIDs written out (the hashes
# need not be right to exercise the reader).
h32=$(printf '%064d' 0 | tr 0 A)
h64=$h32$(printf '%064d' 0 | tr 0 B)
cat >gost-req.cnf <<EOF
asn1 = SEQUENCE:req
[req]
tbs = SEQUENCE:tbs
[tbs]
version = EXPLICIT:0,INTEGER:0
requestor = EXPLICIT:1,IMPLICIT:2,IA5STRING:client.example.ru
list = SEQUENCE:list
exts = EXPLICIT:2,SEQUENCE:exts
[list]
r1 = SEQUENCE:r1
r2 = SEQUENCE:r2
r3 = SEQUENCE:r3
[r1]
id = SEQUENCE:cid1
[cid1]
alg = SEQUENCE:alg1
name = FORMAT:HEX,OCTETSTRING:$h32
key = FORMAT:HEX,OCTETSTRING:$h32
serial = INTEGER:0x1001
[alg1]
oid = OID:1.2.643.7.1.1.2.2
params = NULL
[r2]
id = SEQUENCE:cid2
sexts = EXPLICIT:0,SEQUENCE:sexts
[cid2]
alg = SEQUENCE:alg2
name = FORMAT:HEX,OCTETSTRING:$h64
key = FORMAT:HEX,OCTETSTRING:$h64
serial = INTEGER:-2
[alg2]
oid = OID:1.2.643.7.1.1.2.3
[sexts]
e1 = SEQUENCE:locator
[locator]
oid = OID:1.3.6.1.5.5.7.48.1.7
value = OCTWRAP,SEQUENCE:issuer
[issuer]
rdn = SET:rdn
[rdn]
cn = SEQUENCE:cn
[cn]
oid = OID:2.5.4.3
v = UTF8:CA
[r3]
id = SEQUENCE:cid3
[cid3]
alg = SEQUENCE:alg3
name = FORMAT:HEX,OCTETSTRING:$h32
key = FORMAT:HEX,OCTETSTRING:$h32
serial = INTEGER:0x7F
[alg3]
oid = OID:1.2.643.2.2.9
params = NULL
[exts]
nonce = SEQUENCE:nonce
accept = SEQUENCE:accept
[nonce]
oid = OID:1.3.6.1.5.5.7.48.1.2
value = OCTWRAP,FORMAT:HEX,OCTETSTRING:000102030405060708090A0B0C0D0E0F
[accept]
oid = OID:1.3.6.1.5.5.7.48.1.4
critical = BOOLEAN:TRUE
value = OCTWRAP,SEQUENCE:accepted
[accepted]
basic = OID:1.3.6.1.5.5.7.48.1.1
EOF
openssl asn1parse -genconf gost-req.cnf -out "$out/ocsp/gost.der" \
	-noout >/dev/null

# ---- DER snippets ---------------------------------------------------------
# der NAME TYPE:VALUE (openssl asn1parse -genstr syntax)
der() {
	openssl asn1parse -genstr "$2" -out "$out/der/$1.der" -noout >/dev/null
}
der utctime 'UTCTIME:491231235959Z'
der utctime-1950 'UTCTIME:500101000000Z'
der gentime 'GENTIME:20240229000000Z'
der gentime-9999 'GENTIME:99991231235959Z'
der int-zero 'INTEGER:0'
der int-neg 'INTEGER:-129'
der int-big 'INTEGER:0xFFFFFFFFFFFFFFFFFF'
der bool-true 'BOOLEAN:TRUE'
der bool-false 'BOOLEAN:FALSE'
der bits 'FORMAT:HEX,BITSTRING:00FF80'
der oid 'OID:1.2.643.7.1.1.3.2'
der oid-long 'OID:2.999.1234567890123'
der null 'NULL'
der enumerated 'ENUMERATED:6'
der octets 'FORMAT:HEX,OCTETSTRING:DEADBEEF'
der printable 'PRINTABLESTRING:otzyv'
der utf8 'UTF8:отзыв'
der implicit 'IMPLICIT:0,INTEGER:5'
der explicit 'EXPLICIT:3,BOOLEAN:TRUE'
der high-tag 'IMPLICIT:1234,OCTETSTRING:x'

cat >nested.cnf <<'EOF'
asn1 = SEQUENCE:outer
[outer]
version = IMPLICIT:0,INTEGER:1
inner = SEQUENCE:inner
set = SET:inner
when = GENTIME:20261121054143Z
ext = EXPLICIT:0,SEQUENCE:exts
[inner]
oid = OID:2.5.29.20
flag = BOOLEAN:TRUE
value = OCTWRAP,INTEGER:1001
[exts]
e1 = SEQUENCE:inner
e2 = SEQUENCE:inner
EOF
openssl asn1parse -genconf nested.cnf -out "$out/der/nested.der" \
	-noout >/dev/null

# A chain of 40 SEQUENCEs: past MAX_DER_DEPTH.
{
	echo "asn1 = SEQUENCE:s1"
	i=1
	while [ $i -lt 40 ]; do
		echo "[s$i]"
		echo "x = SEQUENCE:s$((i + 1))"
		i=$((i + 1))
	done
	echo "[s40]"
	echo "x = NULL"
} >deep.cnf
openssl asn1parse -genconf deep.cnf -out "$out/der/deep.der" -noout \
	>/dev/null

# HTTP request heads: the shapes clients send, and a pipelined pair.
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >"$out/http/get"
printf 'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n01234' >"$out/http/post"
printf 'GET /ocsp/MEMwQTA%%2FMD0wOzAJBgUrDgMCGgUABBQ HTTP/1.0\nIf-None-Match: "ab"\n\n' >"$out/http/get10"
printf 'GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n' >"$out/http/pipelined"
printf 'GET /v1/status?issuer=1&serial=10%%3A01&at=2026-11-21T10:00:00+03:00&at=x HTTP/1.1\r\nHost: x\r\n\r\n' \
	>"$out/http/query"
printf 'POST /v1/admin/refresh?ca=%%D0%%A3%%D0%%A6+1&sort=%%zz&=%%00 HTTP/1.1\r\nContent-Length: 0\r\n\r\n' \
	>"$out/http/query-encoded"

# ---- trusted lists ----------------------------------------------------------
# tslca ALG THUMB: one УдостоверяющийЦентр listing ALG-ca.pem.
tslca() {
	b64=$(openssl x509 -in "$1-ca.pem" -outform DER | openssl base64)
	cat <<EOF
  <УдостоверяющийЦентр>
    <Название>Корпус $1</Название>
    <КраткоеНазвание>$1</КраткоеНазвание>
    <Адрес><Город>Москва</Город></Адрес>
    <ПрограммноАппаратныеКомплексы><ПрограммноАппаратныйКомплекс>
      <КлючиУполномоченныхЛиц><Ключ>
        <ИдентификаторКлюча>0102030405</ИдентификаторКлюча>
        <АдресаСписковОтзыва><Адрес>http://cdp.example.ru/$1.crl</Адрес>
          <Адрес>http://mirror.example.ru/$1.crl</Адрес></АдресаСписковОтзыва>
        <Сертификаты><ДанныеСертификата>
          <Отпечаток>$2</Отпечаток>
          <КемВыдан>CN=Corpus CA $1</КемВыдан>
          <КомуВыдан>CN=Corpus CA $1</КомуВыдан>
          <СерийныйНомер>01</СерийныйНомер>
          <ПериодДействияС>2024-01-01T00:00:00+03:00</ПериодДействияС>
          <ПериодДействияДо>2034-01-01T00:00:00</ПериодДействияДо>
          <Данные>$b64</Данные>
        </ДанныеСертификата></Сертификаты>
      </Ключ></КлючиУполномоченныхЛиц>
    </ПрограммноАппаратныйКомплекс></ПрограммноАппаратныеКомплексы>
    <ИНН>7707329152</ИНН>
    <ОГРН>1047707030513</ОГРН>
    <СтатусАккредитации><Статус>Действует</Статус>
      <ДействуетС>2019-08-13T00:00:00+03:00</ДействуетС></СтатусАккредитации>
    <ИсторияСтатусовАккредитации><СтатусАккредитации>
      <Статус>Приостановлена</Статус><ДействуетС>2019-01-01</ДействуетС>
      <ДействуетПо>2019-08-13T00:00:00+03:00</ДействуетПо>
    </СтатусАккредитации></ИсторияСтатусовАккредитации>
  </УдостоверяющийЦентр>
EOF
}
thumb() {
	openssl x509 -in "$1-ca.pem" -noout -fingerprint -sha1 |
		sed 's/.*=//; s/://g'
}
tslhead='<?xml version="1.0" encoding="utf-8"?>
<АккредитованныеУдостоверяющиеЦентры>
  <Версия>1234</Версия>
  <Дата>2026-11-20T09:00:00+03:00</Дата>'
tsltail='</АккредитованныеУдостоверяющиеЦентры>'
{
	echo "$tslhead"
	tslca rsa "$(thumb rsa)"
	tslca ec "$(thumb ec)"
	echo "$tsltail"
} >"$out/tsl/two.xml"
{
	echo "$tslhead"
	tslca rsa 0000000000000000000000000000000000000000
	echo "$tsltail"
} >"$out/tsl/bad-thumb.xml"
{
	printf '\357\273\277'
	sed 's/$/\r/' "$out/tsl/two.xml"
} >"$out/tsl/crlf-bom.xml"
{
	echo '<?xml version="1.0"?>'
	echo '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
	echo '<АккредитованныеУдостоверяющиеЦентры><Версия>&x;</Версия>'
	echo "$tsltail"
} >"$out/tsl/doctype.xml"
head -c 1500 "$out/tsl/two.xml" >"$out/tsl/truncated.xml"

# ---- CMS signatures ---------------------------------------------------------
# An EC signer certificate from the EC CA; the RSA CA signs as itself
# (its keyUsage forbids that, which is checked too).
cat >leaf.cnf <<'EOF'
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key
openssl req -new -key leaf.key -subj "/C=RU/O=otzyv corpus/CN=Signer ec" \
	-out leaf.csr
openssl x509 -req -in leaf.csr -CA ec-ca.pem -CAkey ec.key \
	-set_serial 0x1001 -days 3650 -sha256 -extfile leaf.cnf \
	-extensions leaf -out leaf.pem 2>/dev/null
printf 'Документ для подписи.\n' >doc.txt

# cmssign NAME ARGS...: one `openssl cms -sign` of doc.txt, in DER.
cmssign() {
	name=$1
	shift
	openssl cms -sign -binary -in doc.txt -outform DER \
		-out "$out/verify/$name.der" "$@"
}
# frame NAME: the detached NAME.der and doc.txt as one content-mode input.
frame() {
	n=$(wc -c <"$out/verify/$1.der")
	{
		printf "\\001\\$(printf %03o $((n / 256)))"
		printf "\\$(printf %03o $((n % 256)))"
		cat "$out/verify/$1.der" doc.txt
	} >"$out/verify/$1.framed"
}
cmssign attached-ec -nodetach -signer leaf.pem -inkey leaf.key \
	-certfile ec-ca.pem
cmssign detached-ec -signer leaf.pem -inkey leaf.key -md sha384
cmssign noattr-ec -nodetach -noattr -signer leaf.pem -inkey leaf.key
cmssign cades-ec -nodetach -cades -keyid -signer leaf.pem -inkey leaf.key
cmssign attached-rsa -nodetach -signer rsa-ca.pem -inkey rsa.key
cmssign detached-rsa -signer rsa-ca.pem -inkey rsa.key -nosmimecap
cmssign two-signers -nodetach -signer leaf.pem -inkey leaf.key \
	-signer rsa-ca.pem -inkey rsa.key -certfile ec-ca.pem
# A timestamped signature (CAdES-T): a TSA of the EC CA stamps the
# attached EC signature's value; stamp.py splices the token in as its
# unsigned attribute, which `openssl cms` cannot add.
cat >tsa.cnf <<'EOF'
[tsa_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa]
default_tsa = tsa1
[tsa1]
serial = tsa-serial
signer_cert = tsa.pem
signer_key = tsa.key
certs = ec-ca.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
EOF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out tsa.key
openssl req -new -key tsa.key -subj "/C=RU/O=otzyv corpus/CN=TSA ec" \
	-out tsa.csr
openssl x509 -req -in tsa.csr -CA ec-ca.pem -CAkey ec.key \
	-set_serial 0x3001 -days 3650 -sha256 -extfile tsa.cnf \
	-extensions tsa_ext -out tsa.pem 2>/dev/null
echo 01 >tsa-serial
python3 "$src/tests/fuzz/stamp.py" sig "$out/verify/attached-ec.der" >sig.bin
openssl ts -query -data sig.bin -sha256 -cert -out stamp.tsq 2>/dev/null
openssl ts -reply -config tsa.cnf -queryfile stamp.tsq \
	-token_out -out token.der 2>/dev/null
python3 "$src/tests/fuzz/stamp.py" add "$out/verify/attached-ec.der" \
	token.der >"$out/verify/stamped-ec.der"
# PEM and base64 after a line break: '-' and 'M' are odd first octets,
# which would select the content mode.
{
	echo
	openssl cms -sign -binary -in doc.txt -outform PEM -nodetach \
		-signer leaf.pem -inkey leaf.key
} >"$out/verify/attached-ec.pem"
{
	echo
	openssl base64 -in "$out/verify/attached-rsa.der"
} >"$out/verify/attached-rsa.b64"
frame detached-ec
frame detached-rsa

# ---- POST /v1/verify JSON requests ---------------------------------------
b64=$(openssl base64 -A -in "$out/verify/attached-ec.der")
doc=$(printf 'hello' | openssl base64 -A)
sha=$(printf 'hello' | openssl dgst -sha256 -binary | openssl base64 -A)
printf '{"signature": "%s"}' "$b64" >"$out/verify-request/attached.json"
printf '{"signature": "%s", "content": "%s"}' "$b64" "$doc" \
	>"$out/verify-request/content.json"
printf '{"signature": "%s", "content_digest": {"algorithm": "sha256", "value": "%s"}, "at": "2026-11-21T10:00:00Z"}' \
	"$b64" "$sha" >"$out/verify-request/digest.json"
printf '{"signature": 1, "content": [], "extra": null}' \
	>"$out/verify-request/wrong-types.json"
printf '{"signature": "%s"}' "$(printf 'not\n base64 !!' )" \
	>"$out/verify-request/junk.json"
# the fast scan's edges: compact, members reordered, escaped slashes
# (jansson's), a repeated member, a blank content
printf '{"at":"2026-11-21T10:00:00Z","content":"%s","signature":"%s"}' \
	"$doc" "$b64" >"$out/verify-request/compact.json"
printf '{"signature": "%s", "content": "%s"}' "$(printf %s "$b64" | sed 's,/,\\/,g')" \
	"$doc" >"$out/verify-request/escaped.json"
printf '{"signature": "%s", "signature": "%s"}' "$b64" "$b64" \
	>"$out/verify-request/repeated.json"
printf '{"signature": "%s", "content": " \\n "}' "$b64" \
	>"$out/verify-request/blank.json"

# ---- /v1/status questions (fuzz_status: '0' batch, '1' certificate,
# '2' issuer&serial&at) -----------------------------------------------------
ca64=$(openssl base64 -A -in "$out/der/ec-ca.der")
printf '0[{"issuer": 1, "serial": "1001"}, {"issuer": "1", "serial": "2002", "at": "2031-01-01T00:00:00Z"}, {"certificate": "%s"}, {"issuer": "00", "serial": "-1"}, 7, {"serial": null}]' \
	"$ca64" >"$out/status/batch"
printf '0[{"issuer": "%s", "serial": "10:01"}, {"issuer": 4294967296, "serial": "1001", "at": "2030-12-31T23:59:59+03:00"}]' \
	"$(printf '%040d' 0)" >"$out/status/batch-hash"
printf '0[{"issuer":1,"serial":"1"},{"issuer":1,"serial":"2"},{"issuer":1,"serial":"3"},{"issuer":1,"serial":"4"},{"issuer":1,"serial":"5"},{"issuer":1,"serial":"6"},{"issuer":1,"serial":"7"},{"issuer":1,"serial":"8"},{"issuer":1,"serial":"9"}]' \
	>"$out/status/batch-nine"
printf '0{"issuer": 1, "serial": "1001"}' >"$out/status/batch-object"
{ printf '1'; cat "$out/der/ec-ca.der"; } >"$out/status/cert-der"
{ printf '1'; cat ec-ca.pem; } >"$out/status/cert-pem"
printf '2%s' '1&1001&2031-01-01T00:00:00Z' >"$out/status/query"
printf '2%s' '1&2002&2029-01-01T00:00:00.5Z' >"$out/status/query-before"
printf '2%s' '1&-00ff' >"$out/status/query-negative"

# ---- config files ---------------------------------------------------------
cp "$src/etc/otzyv.conf" "$out/config/otzyv.conf"
cat >"$out/config/every-key.conf" <<'EOF'
[store]
path = state/store
map_size = 1G
[crypto]
gost = auto
[server]
listen = 127.0.0.1:8080
listen = [::1]:8080
threads = 2
max_header = 16K
max_ocsp_request = 16K
max_requests = 16
idle_timeout = 60s
read_timeout = 10s
max_connections = 1000
user = otzyv
access_log = yes
admin_listen = 127.0.0.1:8081
[fetch]
interval = 30m
timeout = 10m
connect_timeout = 30s
low_speed_limit = 1K
low_speed_time = 1m
max_redirects = 5
max_crl_size = 512M
concurrency = 4
user_agent = otzyv/1
retry_min = 1m
retry_max = 30m
ca_bundle = /etc/ssl/certs/ca-certificates.crt
[tsl]
url = https://e-trust.gosuslugi.ru/app/scc/portal/api/v1/portal/ca/getxml
refresh = 6h
sha256 = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
exclude = 1234
exclude = 5678
max_size = 256M
[responder]
cert = ocsp.pem
key = ocsp.key
nonce = echo
stale = trylater
stale_grace = 1h
cache_size = 64M
max_age = 1h
[verify]
max_body = 64M
max_batch = 1000
anchors = roots/a.pem
anchors = /etc/otzyv/b.pem
intermediates = sub.pem
tsl_anchors = yes
trust_claimed_signing_time = no
cautionary_period = 1h
threads = 1
queue = 64
audit_log = yes
audit_file = audit.log
[ca rsa]
cert = rsa-ca.pem
crl = http://cdp.example.ru/rsa.crl
crl = file:///var/lib/otzyv/rsa.crl
responder_cert = rsa-ocsp.pem
responder_key = rsa-ocsp.key
max_crl_size = 64M
[ca  gost 2012]
cert = /etc/otzyv/gost.pem
EOF
printf '\357\273\277; BOM, CRLF\r\n[store]\r\npath = /x ; inline\r\n[ca a]\r\ncert = a.pem\r\ncrl = http://a/1.crl\r\n  http://a/2.crl\r\n' \
	>"$out/config/bom-crlf.conf"
printf '[ca x]\n[ca x]\ncert = x.pem\n' >"$out/config/ca-twice.conf"
printf '[tsl]\nurl = http://x/\nfile = list.xml\n' >"$out/config/tsl-both.conf"
printf '[server]\nthreads = 257\n' >"$out/config/out-of-range.conf"
printf '[verify]\nmax_body = 64Q\n[nowhere]\n' >"$out/config/bad-size.conf"

n_crl=$(find "$out/crl" -type f | wc -l)
n_der=$(find "$out/der" -type f | wc -l)
n_ocsp=$(find "$out/ocsp" -type f | wc -l)
echo "mkcorpus: $n_crl CRLs in $out/crl, $n_der DER values in $out/der," \
	"$n_ocsp OCSP requests in $out/ocsp," \
	"$(find "$out/tsl" -type f | wc -l) trusted lists in $out/tsl," \
	"$(find "$out/verify" -type f | wc -l) signatures in $out/verify," \
	"$(find "$out/verify-request" -type f | wc -l) JSON requests in" \
	"$out/verify-request, $(find "$out/config" -type f | wc -l) config" \
	"files in $out/config, $(find "$out/status" -type f | wc -l) status" \
	"questions in $out/status"
