#!/bin/sh
# mkpki.sh DIR [ALG...]: a test PKI made with the OpenSSL CLI.
#
# For each ALG (rsa rsapss ecdsa ed25519 gost256 gost512; all by default)
# DIR gets:
#   ALG-ca.pem ALG-ca.key      a CA: keyUsage keyCertSign+cRLSign, SKI
#   ALG-leaf.pem ALG-leaf.key  an end-entity certificate it issued
#                              (serial 0x1001), with AKI
#   ALG-ocsp.pem ALG-ocsp.key  a delegated OCSP responder certificate it
#                              issued (serial 0x5001): extendedKeyUsage
#                              OCSPSigning, id-pkix-ocsp-nocheck
#   ALG-ocsp-noeku.pem         the same key and subject, issued by the CA
#                              without extendedKeyUsage (serial 0x5002)
# and once:
#   nocrlsign-ca.pem/.key      an ECDSA CA whose keyUsage lacks cRLSign
#   twin-ca.pem/.key           an ECDSA CA with ecdsa-ca's subject but
#                              another key (the "wrong issuer")
set -eu

dir=$1
shift
[ $# -gt 0 ] || set -- rsa rsapss ecdsa ed25519 gost256 gost512
mkdir -p "$dir"
cd "$dir"

cat > ext.cnf <<'CNF'
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ca_nocrl]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, digitalSignature
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

cat > ocsp.cnf <<'CNF'
[ocsp]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ocsp_noeku]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
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

# signopts ALG: digest / padding options for req and x509.
signopts() {
	case $1 in
	rsa) echo "-sha256" ;;
	rsapss) echo "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32" ;;
	ecdsa) echo "-sha256" ;;
	ed25519) echo "" ;;
	gost256) echo "-engine gost -md_gost12_256" ;;
	gost512) echo "-engine gost -md_gost12_512" ;;
	esac
}

# ca NAME ALG SUBJECT EXT
ca() {
	genkey "$2" "$1-ca.key"
	# shellcheck disable=SC2046
	openssl req -new -x509 $(signopts "$2") -key "$1-ca.key" \
		-subj "$3" -days 3650 -set_serial 1 \
		-extensions "$4" -config ext.cnf -out "$1-ca.pem" 2>/dev/null
}

for alg in "$@"; do
	ca "$alg" "$alg" "/C=RU/O=otzyv test/CN=Test CA $alg" ca
	genkey "$alg" "$alg-leaf.key"
	# shellcheck disable=SC2046
	openssl req -new $(signopts "$alg") -key "$alg-leaf.key" \
		-subj "/C=RU/O=otzyv test/CN=leaf of $alg" -config ext.cnf \
		-out "$alg-leaf.csr" 2>/dev/null
	# shellcheck disable=SC2046
	openssl x509 -req $(signopts "$alg") -in "$alg-leaf.csr" \
		-CA "$alg-ca.pem" -CAkey "$alg-ca.key" -set_serial 0x1001 \
		-days 365 -extfile ext.cnf -extensions leaf \
		-out "$alg-leaf.pem" 2>/dev/null
	rm -f "$alg-leaf.csr"
	genkey "$alg" "$alg-ocsp.key"
	# shellcheck disable=SC2046
	openssl req -new $(signopts "$alg") -key "$alg-ocsp.key" \
		-subj "/C=RU/O=otzyv test/CN=OCSP responder of $alg" \
		-config ext.cnf -out "$alg-ocsp.csr" 2>/dev/null
	for ext in ocsp:0x5001:ocsp ocsp_noeku:0x5002:ocsp-noeku; do
		# shellcheck disable=SC2046
		openssl x509 -req $(signopts "$alg") -in "$alg-ocsp.csr" \
			-CA "$alg-ca.pem" -CAkey "$alg-ca.key" \
			-set_serial "$(echo "$ext" | cut -d: -f2)" -days 365 \
			-extfile ocsp.cnf -extensions "${ext%%:*}" \
			-out "$alg-${ext##*:}.pem" 2>/dev/null
	done
	rm -f "$alg-ocsp.csr"
done
ca nocrlsign ecdsa "/C=RU/O=otzyv test/CN=Test CA without cRLSign" ca_nocrl
ca twin ecdsa "/C=RU/O=otzyv test/CN=Test CA ecdsa" ca
