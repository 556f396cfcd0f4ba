#!/bin/sh
# mkverify.sh DIR [ALG...]: the signature-validation PKI, made with the
# OpenSSL CLI on top of the test PKI of mkpki.sh in DIR (run that first:
# ALG-ca is the root here).
#
# For each ALG (rsa rsapss ecdsa ed25519 gost256 gost512; all by
# default; rsapss certificates are signed with RSASSA-PSS) DIR gets:
#   ALG-int.pem ALG-int.key        an intermediate CA issued by ALG-ca
#                                  (serial 0x20, pathlen 0, SKI, AKI)
#   ALG-signer.pem ALG-signer.key  a signer issued by ALG-int (serial
#                                  0x2001, digitalSignature +
#                                  nonRepudiation, 365 days)
# and once:
#   tsa.pem tsa.key  an RSA time-stamping authority issued by rsa-int
#                    (serial 0x3001, critical extendedKeyUsage
#                    timeStamping)
#   tsa.cnf          its `openssl ts -reply` configuration (section tsa)
#   tsa-chain.pem    tsa.pem, rsa-int.pem
#   rsa-signer-again.pem  rsa-signer re-issued by rsa-int: the same
#                    subject, serial (0x2001) and key, another validity
#                    (200 days), so another certificate hash (ESS)
#   rsa-bigext.pem rsa-bigext.key  a signer issued by rsa-int (serial
#                    0x2002) with a non-critical private extension
#                    (1.3.6.1.4.1.55555.1, a UTF8String) of 200 KiB
set -eu

dir=$1
shift
[ $# -gt 0 ] || set -- rsa rsapss ecdsa ed25519 gost256 gost512
cd "$dir"

cat > verify-ext.cnf <<'CNF'
[int]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[signer]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# genkey ALG FILE
genkey() {
	case $1 in
	rsa | rsapss) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
	ecdsa) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$2" ;;
	gost256) openssl genpkey -engine gost -algorithm gost2012_256 -pkeyopt paramset:A -out "$2" 2>/dev/null ;;
	gost512) openssl genpkey -engine gost -algorithm gost2012_512 -pkeyopt paramset:A -out "$2" 2>/dev/null ;;
	esac
}

signopts() {
	case $1 in
	rsa | ecdsa) echo "-sha256" ;;
	rsapss) echo "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32" ;;
	ed25519) echo "" ;;
	gost256) echo "-engine gost -md_gost12_256" ;;
	gost512) echo "-engine gost -md_gost12_512" ;;
	esac
}

# issue ALG NAME SUBJECT ISSUER SERIAL EXT DAYS
issue() {
	genkey "$1" "$2.key"
	# shellcheck disable=SC2046
	openssl req -new $(signopts "$1") -key "$2.key" -subj "$3" \
		-config verify-ext.cnf -out "$2.csr" 2>/dev/null
	# shellcheck disable=SC2046
	openssl x509 -req $(signopts "$1") -in "$2.csr" -CA "$4.pem" \
		-CAkey "$4.key" -set_serial "$5" -days "$7" \
		-extfile verify-ext.cnf -extensions "$6" -out "$2.pem" 2>/dev/null
	rm -f "$2.csr"
}

for alg in "$@"; do
	[ -f "$alg-ca.pem" ] || {
		echo "mkverify.sh: $dir/$alg-ca.pem missing: run mkpki.sh first" >&2
		exit 1
	}
	issue "$alg" "$alg-int" "/C=RU/O=otzyv test/CN=Intermediate CA $alg" \
		"$alg-ca" 0x20 int 1825
	issue "$alg" "$alg-signer" "/C=RU/O=otzyv test/CN=Signer $alg" \
		"$alg-int" 0x2001 signer 365
done

[ -f rsa-int.pem ] || issue rsa rsa-int "/C=RU/O=otzyv test/CN=Intermediate CA rsa" rsa-ca 0x20 int 1825
issue rsa tsa "/C=RU/O=otzyv test/CN=Test TSA" rsa-int 0x3001 tsa 365
cat tsa.pem rsa-int.pem > tsa-chain.pem

# The same signer once more: same subject, serial and key.
openssl req -new -sha256 -key rsa-signer.key \
	-subj "/C=RU/O=otzyv test/CN=Signer rsa" -config verify-ext.cnf \
	-out rsa-signer-again.csr 2>/dev/null
openssl x509 -req -sha256 -in rsa-signer-again.csr -CA rsa-int.pem \
	-CAkey rsa-int.key -set_serial 0x2001 -days 200 \
	-extfile verify-ext.cnf -extensions signer -out rsa-signer-again.pem \
	2>/dev/null
rm -f rsa-signer-again.csr

# A signer with a 200 KiB extension.
{
	cat verify-ext.cnf
	printf '[bigext]\nbasicConstraints = critical, CA:false\n'
	printf 'keyUsage = critical, digitalSignature\n'
	printf '1.3.6.1.4.1.55555.1 = ASN1:UTF8String:'
	head -c 204800 /dev/zero | tr '\0' 'x'
	printf '\n'
} > bigext.cnf
genkey rsa rsa-bigext.key
openssl req -new -sha256 -key rsa-bigext.key \
	-subj "/C=RU/O=otzyv test/CN=Signer with a big extension" \
	-config verify-ext.cnf -out rsa-bigext.csr 2>/dev/null
openssl x509 -req -sha256 -in rsa-bigext.csr -CA rsa-int.pem \
	-CAkey rsa-int.key -set_serial 0x2002 -days 365 -extfile bigext.cnf \
	-extensions bigext -out rsa-bigext.pem 2>/dev/null
rm -f rsa-bigext.csr bigext.cnf
echo 01 > tsa-serial
cat > tsa.cnf <<CNF
[tsa]
default_tsa = tsa1
[tsa1]
dir = $(pwd)
serial = \$dir/tsa-serial
signer_cert = \$dir/tsa.pem
signer_key = \$dir/tsa.key
certs = \$dir/tsa-chain.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
