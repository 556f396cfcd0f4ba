#!/bin/sh
# mkcorpus.sh DIR: a small seed corpus for the libFuzzer targets, made at
# build / CI time with the openssl CLI only (nothing binary is committed).
#
#   DIR/crl/  CRLs in DER: RSA and EC CAs, v1 and v2, with and without
#             entries, entry extensions (reason, invalidity date, hold
#             instruction) and CRL extensions (number, AKI, IDP, delta)
#   DIR/der/  DER snippets: the CRLs and CA certificates again, and
#             values of every type the reader knows (times, INTEGERs,
#             BOOLEANs, BIT STRINGs, OIDs, nested and tagged values)
set -eu

[ $# -eq 1 ] || {
	echo "usage: $0 DIR" >&2
	exit 2
}
out=$1
mkdir -p "$out/crl" "$out/der"
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

n_crl=$(find "$out/crl" -type f | wc -l)
n_der=$(find "$out/der" -type f | wc -l)
echo "mkcorpus: $n_crl CRLs in $out/crl, $n_der DER values in $out/der"
