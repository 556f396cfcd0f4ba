#!/usr/bin/env python3
"""stamp.py: a CMS signature with an RFC 3161 timestamp, for the fuzz
seed corpus (mkcorpus.sh), from the openssl CLI's parts.

    stamp.py sig CMS.der > SIG        the last SignerInfo's signature value
    stamp.py add CMS.der TOKEN.der > OUT.der
                                      that SignerInfo with the token as its
                                      id-aa-signatureTimeStampToken unsigned
                                      attribute (RFC 5652 5.3, RFC 3161 A)

The SignerInfo must have no unsigned attributes yet. `openssl cms` cannot
add one, hence this: the SignerInfo is the last element of the last
element of every TLV above it, so it is extended in place and the
lengths above it written again. Definite-length DER only.
"""
import sys

# id-aa-signatureTimeStampToken, 1.2.840.113549.1.9.16.2.14
TS_OID = bytes.fromhex("060b2a864886f70d010910020e")


def head(b, i):
    """(tag, header length, content length) of the TLV at b[i]."""
    n = b[i + 1]
    if n < 0x80:
        return b[i], 2, n
    k = n & 0x7F
    if k == 0:
        sys.exit("stamp.py: indefinite length")
    return b[i], 2 + k, int.from_bytes(b[i + 2:i + 2 + k], "big")


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    k = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | k]) + n.to_bytes(k, "big") + content


def kids(content):
    out, i = [], 0
    while i < len(content):
        _, h, n = head(content, i)
        out.append(content[i:i + h + n])
        i += h + n
    return out


def body(t):
    _, h, n = head(t, 0)
    return t[h:h + n]


# ContentInfo > [0] > SignedData > signerInfos > SignerInfo: each the
# last element of the one before.
DEPTH = 4


def last_signer(cms):
    t = cms
    for _ in range(DEPTH):
        t = kids(body(t))[-1]
    return t


def extend(t, depth, extra):
    if depth == 0:
        return tlv(t[0], body(t) + extra)
    k = kids(body(t))
    k[-1] = extend(k[-1], depth - 1, extra)
    return tlv(t[0], b"".join(k))


def main():
    cms = open(sys.argv[2], "rb").read()
    si = kids(body(last_signer(cms)))
    if sys.argv[1] == "sig":
        # signature OCTET STRING: last, without unsignedAttrs [1]
        if si[-1][0] != 0x04:
            sys.exit("stamp.py: the SignerInfo has unsigned attributes")
        sys.stdout.buffer.write(body(si[-1]))
    elif sys.argv[1] == "add":
        token = open(sys.argv[3], "rb").read()
        attr = tlv(0x30, TS_OID + tlv(0x31, token))
        sys.stdout.buffer.write(extend(cms, DEPTH, tlv(0xA1, attr)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
