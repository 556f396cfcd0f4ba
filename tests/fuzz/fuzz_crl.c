/*
 * libFuzzer driver for the CRL reader (src/crl/parse.c), the signature
 * check (src/crl/verify.c) and the decoding of a partitioned CRL's
 * distribution point name (src/crl/distpoint.c). On every input
 * crl_parse() must either fail with a message or give a struct crl whose
 * pointers all lie in the input; then every entry crl_iter_next()
 * yields must lie inside revokedCertificates, have a minimal serial of
 * at most MAX_SERIAL_LEN octets that status_serial_format/parse
 * round-trip, a defined reason, and decode identically through
 * crl_entry_at(offset). The signature
 * check runs against a fixed P-256 key made once and must fail cleanly:
 * no input is signed by it.
 *
 * A broken invariant calls __builtin_trap(), which libFuzzer reports.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "otzyv/crl.h"
#include "otzyv/der.h"
#include "otzyv/limits.h"
#include "otzyv/status.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x)) {                                                    \
			fprintf(stderr, "fuzz_crl: %s:%d: %s\n", __FILE__,     \
				__LINE__, #x);                                 \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *key;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((key = EVP_EC_gen("P-256")) == NULL) {
		fprintf(stderr, "fuzz_crl: cannot make a P-256 key\n");
		abort();
	}
	return 0;
}

/* [p, p + len) inside [lo, lo + lo_len). */
static int
inside(const uint8_t *p, size_t len, const uint8_t *lo, size_t lo_len)
{
	return p != NULL && p >= lo && p <= lo + lo_len &&
	       len <= (size_t)(lo + lo_len - p);
}

static int
message_set(const struct crl_error *err)
{
	return err->msg[0] != '\0' &&
	       memchr(err->msg, '\0', sizeof(err->msg)) != NULL;
}

static void
check_number(const struct crl_number *n)
{
	CHECK(n->len <= MAX_CRL_NUMBER_LEN + 1);
	if (n->len == 0)
		return;
	CHECK(!(n->v[0] & 0x80));
	CHECK(n->len == 1 || n->v[0] != 0 || (n->v[1] & 0x80));
	CHECK(n->len <= MAX_CRL_NUMBER_LEN || n->v[0] == 0);
	CHECK(crl_number_cmp(n, n) == 0);
}

static void
check_crl(const struct crl *crl, const uint8_t *data, size_t size)
{
	CHECK(crl->buf == data && crl->len == size);
	CHECK(inside(crl->tbs, crl->tbs_len, data, size));
	CHECK(crl->tbs_len >= 2 && crl->tbs[0] == DER_SEQUENCE);
	CHECK(inside(crl->sigalg, crl->sigalg_len, data, size));
	CHECK(crl->sigalg > crl->tbs);
	CHECK(crl->sig_len == 0 || inside(crl->sig, crl->sig_len, data, size));
	CHECK(crl->version == 1 || crl->version == 2);
	CHECK(inside(crl->issuer, crl->issuer_len, crl->tbs, crl->tbs_len));
	CHECK(crl->issuer_len > 2 && crl->issuer[0] == DER_SEQUENCE);
	if (crl->has_next_update)
		CHECK(crl->next_update >= crl->this_update);
	else
		CHECK(crl->next_update == 0);
	check_number(&crl->number);
	check_number(&crl->delta_base);
	CHECK(!crl->is_delta || crl->delta_base.len > 0);
	if (crl->version == 1)
		CHECK(crl->number.len == 0 && crl->aki == NULL &&
		      crl->idp == NULL && !crl->is_delta);
	if (crl->aki != NULL)
		CHECK(crl->aki_len > 0 && crl->aki_len <= MAX_KEYID_LEN &&
		      inside(crl->aki, crl->aki_len, crl->tbs, crl->tbs_len));
	if (crl->idp != NULL)
		CHECK(inside(crl->idp, crl->idp_len, crl->tbs, crl->tbs_len));
	/* The distribution point's name lies in the IDP; import decodes
	 * it, whatever it holds. */
	if (crl->idp_dp != NULL) {
		CHECK(crl->idp != NULL &&
		      inside(crl->idp_dp, crl->idp_dp_len, crl->idp,
			     crl->idp_len));
		(void)crl_dp_valid(crl->idp_dp, crl->idp_dp_len);
	}
	if (crl->entries != NULL)
		CHECK(inside(crl->entries, crl->entries_len, crl->tbs,
			     crl->tbs_len));
	else
		CHECK(crl->entries_len == 0);
}

static int
same_entry(const struct crl_entry *a, const struct crl_entry *b)
{
	return a->serial == b->serial && a->serial_len == b->serial_len &&
	       a->revoked_at == b->revoked_at && a->reason == b->reason &&
	       a->has_invalidity == b->has_invalidity &&
	       (!a->has_invalidity || a->invalidity == b->invalidity) &&
	       a->cert_issuer == b->cert_issuer &&
	       a->cert_issuer_len == b->cert_issuer_len &&
	       a->offset == b->offset;
}

static void
check_entry(const struct crl *crl, const struct crl_entry *e, size_t prev_end)
{
	size_t start = (size_t)(crl->entries - crl->buf);
	struct crl_entry again;
	struct crl_error err;
	struct der_tlv t;
	char text[2 * MAX_SERIAL_LEN + 2];
	uint8_t back[MAX_SERIAL_LEN];

	CHECK(inside(e->serial, e->serial_len, crl->buf, crl->len));
	CHECK(inside(e->serial, e->serial_len, crl->entries, crl->entries_len));
	CHECK(e->serial_len >= 1 && e->serial_len <= MAX_SERIAL_LEN);
	memset(&t, 0, sizeof(t));
	t.tag = DER_INTEGER;
	t.val = e->serial;
	t.len = e->serial_len;
	CHECK(der_check_integer(&t) == DER_OK);
	/* The serial as people write it reads back to the same octets. */
	status_serial_format(e->serial, e->serial_len, text);
	CHECK(text[0] != '\0');
	CHECK(status_serial_parse(text, back, sizeof(back)) == e->serial_len);
	CHECK(memcmp(back, e->serial, e->serial_len) == 0);

	CHECK(e->reason == CRL_REASON_ABSENT ||
	      (e->reason >= 0 && e->reason <= CRL_REASON_AA_COMPROMISE &&
	       e->reason != 7));
	CHECK(e->reason == CRL_REASON_ABSENT ||
	      crl_reason_name(e->reason) != NULL);
	CHECK(e->has_invalidity == 0 || e->has_invalidity == 1);
	if (e->cert_issuer != NULL)
		CHECK(e->cert_issuer_len > 2 &&
		      inside(e->cert_issuer, e->cert_issuer_len, crl->entries,
			     crl->entries_len));
	CHECK(e->offset >= start && e->offset >= prev_end &&
	      e->offset < start + crl->entries_len);
	CHECK(crl->buf + e->offset < e->serial);

	memset(&err, 0, sizeof(err));
	CHECK(crl_entry_at(crl, e->offset, &again, &err) == 1);
	CHECK(same_entry(e, &again));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];
	struct crl crl;
	struct crl_error err;
	struct crl_iter it;
	struct crl_entry e;
	size_t n = 0, prev_end;
	int r;

	if (size == 0)
		data = empty;
	memset(&err, 0, sizeof(err));
	if (!crl_parse(data, size, &crl, &err)) {
		CHECK(message_set(&err));
		return 0;
	}
	check_crl(&crl, data, size);

	crl_iter_init(&crl, &it);
	prev_end = crl.entries != NULL ? (size_t)(crl.entries - crl.buf) : 0;
	while ((r = crl_iter_next(&it, &e, &err)) == 1) {
		check_entry(&crl, &e, prev_end);
		prev_end = (size_t)(it.c.p - crl.buf);
		CHECK(prev_end > e.offset);
		CHECK(++n <= crl.entries_len / 2);
	}
	CHECK(r == 0 || r == -1);
	if (r == -1) {
		CHECK(message_set(&err));
	} else {
		CHECK(der_at_end(&it.c));
		CHECK(it.index == n);
	}
	/* An offset outside the list is refused. */
	if (crl.entries != NULL) {
		size_t start = (size_t)(crl.entries - crl.buf);

		CHECK(crl_entry_at(&crl, start + crl.entries_len, &e, &err) ==
		      0);
		CHECK(message_set(&err));
		if (start > 0)
			CHECK(crl_entry_at(&crl, start - 1, &e, &err) == 0);
	} else {
		CHECK(crl.entries_len == 0 && it.index == 0);
		CHECK(crl_entry_at(&crl, 0, &e, &err) == 0);
		CHECK(message_set(&err));
	}

	memset(&err, 0, sizeof(err));
	CHECK(crl_verify_signature(&crl, key, &err) == 0);
	CHECK(message_set(&err));
	CHECK(ERR_peek_error() == 0);
	return 0;
}
