/*
 * der: a strict, allocation-free DER reader (X.690 section 10), and the
 * one header writer its users need.
 *
 * A der_cursor walks a byte range; every read is bounded by the end of
 * the enclosing value. Only definite, minimally encoded lengths are
 * accepted, tag numbers must be minimally encoded, and nesting is limited
 * to MAX_DER_DEPTH. Values point into the caller's buffer: they live as
 * long as that buffer does.
 *
 * Functions returning enum der_err return DER_OK or the first rule broken;
 * der_strerror() names the rule.
 */
#ifndef OTZYV_DER_H
#define OTZYV_DER_H

#include <stddef.h>
#include <stdint.h>

enum der_err {
	DER_OK = 0,
	DER_ETRUNC,	 /* value runs past the end of its container */
	DER_EINDEF,	 /* indefinite length (BER only) */
	DER_ELEN,	 /* non-minimal or over-long length encoding */
	DER_ETAG,	 /* non-minimal or over-long tag number */
	DER_EDEPTH,	 /* nesting deeper than MAX_DER_DEPTH */
	DER_EUNEXPECTED, /* a different tag than the one required */
	DER_EEND,	 /* no more values where one is required */
	DER_ETRAILING,	 /* bytes left after the last value */
	DER_EINT,	 /* INTEGER empty, non-minimal, or out of range */
	DER_EBOOL,	 /* BOOLEAN not one octet 0x00 / 0xFF */
	DER_EBITS,	 /* BIT STRING malformed */
	DER_EOID,	 /* OBJECT IDENTIFIER malformed */
	DER_ETIME,	 /* UTCTime / GeneralizedTime malformed */
	DER_ENULL,	 /* NULL with content */
};

/* Identifier octet classes, as they stand in the first octet. */
#define DER_CLASS_UNIVERSAL 0x00
#define DER_CLASS_APPLICATION 0x40
#define DER_CLASS_CONTEXT 0x80
#define DER_CLASS_PRIVATE 0xC0

/* Universal tags as the full first octet (class | constructed | number). */
#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_ENUMERATED 0x0A
#define DER_UTF8_STRING 0x0C
#define DER_PRINTABLE_STRING 0x13
#define DER_IA5_STRING 0x16
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
/* [n] context-specific, constructed and primitive. */
#define DER_CTX_CONS(n) (0xA0 | (n))
#define DER_CTX_PRIM(n) (0x80 | (n))

/* One decoded TLV. `tag` is the first identifier octet for low tag
 * numbers (< 31); for high tag numbers it is the class and constructed
 * bits with 0x1F, and `number` holds the tag number. */
struct der_tlv {
	uint8_t tag;
	uint32_t number;
	const uint8_t *raw; /* first identifier octet */
	size_t raw_len;	    /* identifier + length + contents */
	const uint8_t *val; /* contents */
	size_t len;
};

struct der_cursor {
	const uint8_t *p;
	const uint8_t *end;
	unsigned depth;
};

/* A cursor over buf[0..len) at depth 0. */
void der_init(struct der_cursor *c, const uint8_t *buf, size_t len);

/* 1 when nothing is left in the cursor, else 0. */
int der_at_end(const struct der_cursor *c);

/* Reads the next TLV and advances past it. DER_EEND at the end. */
enum der_err der_next(struct der_cursor *c, struct der_tlv *out);

/* Like der_next but does not advance. */
enum der_err der_peek(const struct der_cursor *c, struct der_tlv *out);

/* Reads the next TLV and requires its first identifier octet be `tag`. */
enum der_err der_expect(struct der_cursor *c, uint8_t tag, struct der_tlv *out);

/* If the next TLV has identifier `tag`, reads it and sets *out_present
 * to 1; otherwise leaves the cursor and sets *out_present to 0. */
enum der_err der_optional(struct der_cursor *c, uint8_t tag,
			  struct der_tlv *out, int *out_present);

/* A cursor over the contents of a constructed TLV, one level deeper.
 * DER_EDEPTH when that would exceed MAX_DER_DEPTH, DER_EUNEXPECTED when
 * the TLV is primitive. */
enum der_err der_enter(const struct der_cursor *parent, const struct der_tlv *t,
		       struct der_cursor *out);

/* DER_OK when the cursor is exhausted, else DER_ETRAILING. */
enum der_err der_finish(const struct der_cursor *c);

/* Writing: the identifier and length octets of a DER TLV with a
 * low-number tag and `len` octets of contents, written at p when p is
 * not NULL; their number (2 to 2 + sizeof(size_t)). */
size_t der_put_head(uint8_t *p, uint8_t tag, size_t len);

/* INTEGER contents checks (X.690 8.3.2: minimal two's complement). */
enum der_err der_check_integer(const struct der_tlv *t);

/* A non-negative INTEGER that fits in 64 bits. */
enum der_err der_get_uint64(const struct der_tlv *t, uint64_t *out);

/* BOOLEAN: DER requires 0x00 or 0xFF (X.690 11.1). */
enum der_err der_get_bool(const struct der_tlv *t, int *out);

/* BIT STRING with zero unused bits: the octets after the count. */
enum der_err der_get_bits(const struct der_tlv *t, const uint8_t **out,
			  size_t *out_len);

/* OBJECT IDENTIFIER well-formedness (X.690 8.19). */
enum der_err der_check_oid(const struct der_tlv *t);

/* 1 when the OID TLV's contents equal oid[0..len), else 0. */
int der_oid_eq(const struct der_tlv *t, const uint8_t *oid, size_t len);

/* UTCTime or GeneralizedTime in the RFC 5280 4.1.2.5 profile:
 * YYMMDDHHMMSSZ (years 50..99 are 19xx) or YYYYMMDDHHMMSSZ, no
 * fractions, no offsets. Seconds since the epoch. */
enum der_err der_get_time(const struct der_tlv *t, int64_t *out);

/*
 * XXX: BOOLEAN as BER reads it (any non-zero octet is TRUE). DER wants
 * 0xFF, but OpenSSL itself writes 0x01 for flags set through its API (IDP
 * flags in CRLs), so CAs built on it do too; reading them as TRUE is
 * what they mean. 1, or 0 when not one octet.
 */
int der_get_bool_ber(const struct der_tlv *t, int *out);

/* One Extension (RFC 5280 4.1): SEQUENCE { extnID OBJECT IDENTIFIER,
 * critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
struct der_extension {
	struct der_tlv raw; /* the whole Extension */
	struct der_tlv oid;
	int critical;
	struct der_tlv value; /* extnValue; its contents are the value */
};

/*
 * Reads the Extension at c. Returns DER_OK, or the error with a message
 * naming the part that broke it in why[whylen] ("malformed Extension:
 * ...", "critical is not a BOOLEAN", "extnValue: ..."). XXX: an encoded
 * DEFAULT FALSE and a BER TRUE are accepted, as OpenSSL does: CAs emit
 * them, and refusing would leave those CAs without revocation data.
 */
enum der_err der_next_extension(struct der_cursor *c, struct der_extension *out,
				char *why, size_t whylen);

/* A short constant message naming the rule, with the X.690 clause. */
const char *der_strerror(enum der_err e);

#endif
