/*
 * Which certificates a partitioned CRL speaks for (RFC 5280 5.2.5 and
 * 6.3.3 (b)(2)(i)).
 *
 * A CA may split its revocations over several CRLs, each naming its
 * part in the issuingDistributionPoint's distributionPoint, and point
 * every certificate at its part with cRLDistributionPoints. A CRL that
 * names a part is then silent about the certificates of the others: not
 * listed there is not "good". So a certificate is covered only when one
 * of the CRL's names is one of its distribution point's names (or, for
 * a distribution point without names, of its cRLIssuer).
 *
 * Names relative to the CRL issuer are made whole with the issuer's
 * name: the CRL's issuer is the certificate's, indirect CRLs being
 * refused at import. A certificate without cRLDistributionPoints does
 * not say which part lists it, so no named part covers it.
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "otzyv/crl.h"

/* The stored name decoded, whole; NULL when it does not decode. */
static DIST_POINT_NAME *
decode(const uint8_t *der, size_t len, const X509_NAME *issuer)
{
	const unsigned char *p = der;
	DIST_POINT_NAME *n = d2i_DIST_POINT_NAME(NULL, &p, (long)len);

	if (n == NULL || p != der + len ||
	    (issuer != NULL && !DIST_POINT_set_dpname(n, issuer))) {
		DIST_POINT_NAME_free(n);
		return NULL;
	}
	return n;
}

int
crl_dp_valid(const uint8_t *der, size_t len)
{
	DIST_POINT_NAME *n = decode(der, len, NULL);

	DIST_POINT_NAME_free(n);
	ERR_clear_error();
	return n != NULL;
}

static int
has_dirname(GENERAL_NAMES *names, const X509_NAME *nm)
{
	int i;

	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);

		if (g->type == GEN_DIRNAME &&
		    X509_NAME_cmp(g->d.directoryName, nm) == 0)
			return 1;
	}
	return 0;
}

static int
share_one(GENERAL_NAMES *a, GENERAL_NAMES *b)
{
	int i, j;

	for (i = 0; i < sk_GENERAL_NAME_num(a); i++)
		for (j = 0; j < sk_GENERAL_NAME_num(b); j++)
			if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(a, i),
					     sk_GENERAL_NAME_value(b, j)) == 0)
				return 1;
	return 0;
}

/* Whether two distribution point names, each made whole (type 1 has its
 * dpname), name one point. */
static int
meet(const DIST_POINT_NAME *a, const DIST_POINT_NAME *b)
{
	if (a->type == 1 && b->type == 1)
		return X509_NAME_cmp(a->dpname, b->dpname) == 0;
	if (a->type == 1)
		return has_dirname(b->name.fullname, a->dpname);
	if (b->type == 1)
		return has_dirname(a->name.fullname, b->dpname);
	return share_one(a->name.fullname, b->name.fullname);
}

/* A distribution point's own names, or its cRLIssuer's when it has
 * none, against the CRL's. */
static int
dp_meets(DIST_POINT *dp, const DIST_POINT_NAME *crl, const X509_NAME *issuer)
{
	if (dp->distpoint != NULL)
		return DIST_POINT_set_dpname(dp->distpoint, issuer) &&
		       meet(dp->distpoint, crl);
	if (dp->CRLissuer == NULL)
		return 0;
	if (crl->type == 1)
		return has_dirname(dp->CRLissuer, crl->dpname);
	return share_one(dp->CRLissuer, crl->name.fullname);
}

int
crl_dp_covers(const uint8_t *der, size_t len, X509 *cert)
{
	const X509_NAME *issuer = X509_get_issuer_name(cert);
	DIST_POINT_NAME *crl = decode(der, len, issuer);
	CRL_DIST_POINTS *dps = NULL;
	int i, crit = 0, ok = 0;

	if (crl == NULL)
		goto out;
	/* Two cRLDistributionPoints extensions (crit -2) name no part. */
	dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, &crit, NULL);
	for (i = 0; !ok && i < sk_DIST_POINT_num(dps); i++)
		ok = dp_meets(sk_DIST_POINT_value(dps, i), crl, issuer);
out:
	CRL_DIST_POINTS_free(dps);
	DIST_POINT_NAME_free(crl);
	ERR_clear_error();
	return ok;
}
