/*
 * The trusted list reader: libxml2's xmlTextReader, one node at a time.
 *
 * State: a stack of the open elements (a code per known name, so paths
 * are compared as small integers) and the CA being built. Text is
 * collected only inside a leaf element we want, into one buffer bounded
 * by TSL_MAX_FIELD, and committed when that element closes. When an
 * УдостоверяющийЦентр closes it is handed to the callback and freed, so
 * memory follows the largest CA, not the list. The reader itself frees
 * each node once passed (we never call xmlTextReaderExpand/Preserve).
 *
 * Paths (below the root R = АккредитованныеУдостоверяющиеЦентры):
 *   R/Версия, R/Дата
 *   R/УЦ/{Название,КраткоеНазвание,ИНН,ОГРН}
 *   R/УЦ/СтатусАккредитации/{Статус,ДействуетС,ДействуетПо|ДействуетДо}
 *   R/УЦ/ИсторияСтатусовАккредитации/ANY/{Статус,ДействуетС,...}
 *   R/УЦ/ПАКи/ПАК/КлючиУполномоченныхЛиц/Ключ/ИдентификаторКлюча
 *   .../Ключ/АдресаСписковОтзыва/Адрес
 *   .../Ключ/Сертификаты/ДанныеСертификата/{Отпечаток,КемВыдан,...,Данные}
 * Other elements (the CA's postal Адрес, e-mail, software classes...)
 * are walked through and ignored; "Адрес" and "Название" also occur
 * there, which is why matching is by path and never by name alone.
 *
 * XXX The names of the status period elements (ДействуетС, ДействуетПо)
 * and the shape of the history (any child of ИсторияСтатусовАккредитации
 * holding Статус and dates) are guessed from published descriptions, not
 * checked against the schema; both "ДействуетПо" and "ДействуетДо" are
 * taken for the end.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/xmlreader.h>
#include <openssl/evp.h>

#include "otzyv/crypto.h"
#include "otzyv/log.h"
#include "otzyv/tsl.h"
#include "otzyv/util.h"

/* Element codes. */
enum el {
	E_OTHER,
	E_ROOT,
	E_VERSION,
	E_DATE,
	E_CA,
	E_NAME,
	E_SHORT,
	E_INN,
	E_OGRN,
	E_STATUS,
	E_STATUS_NAME,
	E_FROM,
	E_TO,
	E_HISTORY,
	E_PAKS,
	E_PAK,
	E_KEYS,
	E_KEY,
	E_KEYID,
	E_URLS,
	E_ADDR,
	E_CERTS,
	E_CERT,
	E_THUMB,
	E_ISSUED_BY,
	E_ISSUED_TO,
	E_SERIAL,
	E_NOT_BEFORE,
	E_NOT_AFTER,
	E_DATA,
};

static const struct {
	const char *name;
	enum el code;
} names[] = {
    {"АккредитованныеУдостоверяющиеЦентры", E_ROOT},
    {"Версия", E_VERSION},
    {"Дата", E_DATE},
    {"УдостоверяющийЦентр", E_CA},
    {"Название", E_NAME},
    {"КраткоеНазвание", E_SHORT},
    {"ИНН", E_INN},
    {"ОГРН", E_OGRN},
    {"СтатусАккредитации", E_STATUS},
    {"Статус", E_STATUS_NAME},
    {"ДействуетС", E_FROM},
    {"ДействуетПо", E_TO},
    {"ДействуетДо", E_TO},
    {"ИсторияСтатусовАккредитации", E_HISTORY},
    {"ПрограммноАппаратныеКомплексы", E_PAKS},
    {"ПрограммноАппаратныйКомплекс", E_PAK},
    {"КлючиУполномоченныхЛиц", E_KEYS},
    {"Ключ", E_KEY},
    {"ИдентификаторКлюча", E_KEYID},
    {"АдресаСписковОтзыва", E_URLS},
    {"Адрес", E_ADDR},
    {"Сертификаты", E_CERTS},
    {"ДанныеСертификата", E_CERT},
    {"Отпечаток", E_THUMB},
    {"КемВыдан", E_ISSUED_BY},
    {"КомуВыдан", E_ISSUED_TO},
    {"СерийныйНомер", E_SERIAL},
    {"ПериодДействияС", E_NOT_BEFORE},
    {"ПериодДействияДо", E_NOT_AFTER},
    {"Данные", E_DATA},
};

/* A certificate being read, before its checks. */
struct pending_cert {
	char *thumb, *issued_by, *issued_to, *serial, *data;
	int64_t not_before, not_after;
};

struct parser {
	const char *label;
	xmlTextReaderPtr r;
	tsl_ca_fn fn;
	void *arg;
	struct tsl_info *info;
	char *err;
	size_t errlen;
	int failed;

	enum el stack[TSL_MAX_DEPTH];
	char stack_name[TSL_MAX_DEPTH][96];
	int depth;
	int root_seen, root_closed;

	char *text; /* TSL_MAX_FIELD + 1 */
	size_t text_len;
	int collecting;

	struct tsl_ca *ca;
	struct tsl_status *hist; /* the history entry open, or NULL */
	struct tsl_key *key;	 /* the key open, or NULL */
	struct pending_cert *cert;

	/* The first message libxml2 reported, with its line. */
	char xml_msg[256];
	int xml_line;

	/* Input: a descriptor, or a buffer. */
	int fd;
	const uint8_t *mem;
	size_t mem_len, mem_off;
	EVP_MD_CTX *sha;
	int io_errno;
	int prolog; /* enum prolog */
	int doctype;
};

/*
 * The prolog scanner runs on the raw bytes before libxml2 sees them, so
 * that a DOCTYPE is refused before its internal subset is parsed at all
 * (libxml2 reads the whole subset, entity declarations included, before
 * the reader reports the DOCTYPE node). States, one byte at a time:
 */
enum prolog {
	P_TEXT,	   /* between markup: BOM, white space */
	P_LT,	   /* after '<' */
	P_PI,	   /* inside <? ... */
	P_PI_Q,	   /* inside <? ... after '?' */
	P_BANG,	   /* after "<!" */
	P_DASH,	   /* after "<!-" */
	P_COMMENT, /* inside <!-- ... */
	P_CDASH1,  /* inside a comment after '-' */
	P_CDASH2,  /* inside a comment after "--" */
	P_DONE,	   /* the root element began (or not UTF-8): stop */
	P_DOCTYPE, /* "<!" other than a comment: refused (terminal) */
};

static void
prolog_scan(struct parser *p, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n && p->prolog != P_DONE && p->prolog != P_DOCTYPE;
	     i++) {
		uint8_t c = b[i];

		switch (p->prolog) {
		case P_TEXT:
			if (c == '<')
				p->prolog = P_LT;
			break;
		case P_LT:
			p->prolog = c == '?'   ? P_PI
				    : c == '!' ? P_BANG
					       : P_DONE;
			break;
		case P_PI:
			if (c == '?')
				p->prolog = P_PI_Q;
			break;
		case P_PI_Q:
			p->prolog = c == '>'   ? P_TEXT
				    : c == '?' ? P_PI_Q
					       : P_PI;
			break;
		case P_BANG:
			p->prolog = c == '-' ? P_DASH : P_DOCTYPE;
			break;
		case P_DASH:
			p->prolog = c == '-' ? P_COMMENT : P_DOCTYPE;
			break;
		case P_COMMENT:
			if (c == '-')
				p->prolog = P_CDASH1;
			break;
		case P_CDASH1:
			p->prolog = c == '-' ? P_CDASH2 : P_COMMENT;
			break;
		case P_CDASH2:
			p->prolog = c == '>'   ? P_TEXT
				    : c == '-' ? P_CDASH2
					       : P_COMMENT;
			break;
		default:
			break;
		}
	}
	if (p->prolog == P_DOCTYPE)
		p->doctype = 1;
}

static void fail(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the first failure: "LABEL: line N: <ELEMENT>: message". */
static void
fail(struct parser *p, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	int line;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line = p->r ? xmlTextReaderGetParserLineNumber(p->r) : 0;
	if (p->depth > 0)
		snprintf(p->err, p->errlen, "%s: line %d: <%s>: %s", p->label,
			 line, p->stack_name[p->depth - 1], msg);
	else
		snprintf(p->err, p->errlen, "%s: line %d: %s", p->label, line,
			 msg);
}

static void
xml_error(void *arg, xmlErrorPtr e)
{
	struct parser *p = arg;
	size_t n;

	if (e == NULL || e->level < XML_ERR_ERROR || p->xml_msg[0] != '\0')
		return;
	snprintf(p->xml_msg, sizeof(p->xml_msg), "%s",
		 e->message ? e->message : "malformed XML");
	n = strlen(p->xml_msg);
	while (n > 0 && isspace((unsigned char)p->xml_msg[n - 1]))
		p->xml_msg[--n] = '\0';
	p->xml_line = e->line;
}

/* ---- the CA being built ------------------------------------------- */

static void
cert_pending_free(struct pending_cert *c)
{
	if (c == NULL)
		return;
	free(c->thumb);
	free(c->issued_by);
	free(c->issued_to);
	free(c->serial);
	free(c->data);
	free(c);
}

static void
key_clear(struct tsl_key *k)
{
	size_t i;

	free(k->key_id);
	for (i = 0; i < k->nurls; i++)
		free(k->urls[i]);
	for (i = 0; i < k->ncerts; i++) {
		X509_free(k->certs[i].x509);
		free(k->certs[i].issued_by);
		free(k->certs[i].issued_to);
		free(k->certs[i].serial);
	}
}

static void
ca_free(struct tsl_ca *ca)
{
	size_t i;

	if (ca == NULL)
		return;
	free(ca->name);
	free(ca->short_name);
	free(ca->inn);
	free(ca->ogrn);
	free(ca->status.status);
	for (i = 0; i < ca->nhistory; i++)
		free(ca->history[i].status);
	free(ca->history);
	for (i = 0; i < ca->nkeys; i++)
		key_clear(&ca->keys[i]);
	free(ca->keys);
	free(ca);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		fatalx("tsl: out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatalx("tsl: out of memory");
	return p;
}

/* Grows *arr (of n elements of `size`) by one zeroed element. */
static void *
grow(void *arr, size_t n, size_t size)
{
	char *p = realloc(arr, (n + 1) * size);

	if (p == NULL)
		fatalx("tsl: out of memory");
	memset(p + n * size, 0, size);
	return p;
}

/* ---- field values ------------------------------------------------- */

/* The collected text with surrounding white space removed (in place). */
static char *
text_trimmed(struct parser *p)
{
	char *s = p->text, *e;

	p->text[p->text_len] = '\0';
	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Dates are xs:dateTime; the list writes them with an offset
 * ("2019-08-13T00:00:00+03:00"). XXX Without an offset (or as a bare
 * date) we take Moscow time, UTC+3: the list is compiled and published
 * in Moscow and every dated value seen in it carries +03:00, so that is
 * what a missing offset most likely means; the error otherwise would be
 * three hours on an accreditation date, which no answer depends on.
 */
static int
tsl_time(const char *s, int64_t *out)
{
	char buf[48];
	size_t n = strlen(s);

	if (time_parse(s, out))
		return 1;
	if (n == 10)
		snprintf(buf, sizeof(buf), "%sT00:00:00+03:00", s);
	else if (n >= 19 && n < 32 && strchr(s + 10, '+') == NULL &&
		 strchr(s + 10, '-') == NULL && s[n - 1] != 'Z' &&
		 s[n - 1] != 'z')
		snprintf(buf, sizeof(buf), "%s+03:00", s);
	else
		return 0;
	return time_parse(buf, out);
}

/* Replaces *slot with a copy of s. */
static void
set_str(char **slot, const char *s)
{
	free(*slot);
	*slot = xstrdup(s);
}

static int
parse_version(const char *s, int64_t *out)
{
	int64_t v = 0;
	const char *c;

	if (*s == '\0' || strlen(s) > 18)
		return 0;
	for (c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return 0;
		v = v * 10 + (*c - '0');
	}
	*out = v;
	return 1;
}

/* A certificate's base64 text (white space allowed) decoded into a
 * malloc'd buffer; 0 when it is not base64 or decodes to nothing. */
static int
b64_decode(const char *in, uint8_t **out, size_t *out_len)
{
	if (crypto_base64_decode(in, strlen(in), 0, out, out_len) &&
	    *out_len > 0)
		return 1;
	free(*out);
	*out = NULL;
	return 0;
}

static void
warn_cert(struct parser *p, const char *why)
{
	char name[160];
	const char *ca = p->ca->short_name ? p->ca->short_name : p->ca->name;

	log_warn("tsl=%s line=%d ca=\"%s\" certificate skipped: %s", p->label,
		 xmlTextReaderGetParserLineNumber(p->r),
		 log_escape_str(ca ? ca : "?", name, sizeof(name)), why);
	p->key->skipped++;
	p->info->skipped++;
}

/* A value of the list left out, `why`, with the value (escaped) and the
 * line it is on. */
static void
warn_skipped(struct parser *p, const char *why, const char *value)
{
	char text[256];

	log_warn("tsl=%s line=%d %s: \"%s\"", p->label,
		 xmlTextReaderGetParserLineNumber(p->r), why,
		 log_escape_str(value, text, sizeof(text)));
}

/* ДанныеСертификата closed: decode, check the thumbprint, keep it. */
static void
cert_close(struct parser *p)
{
	struct pending_cert *c = p->cert;
	struct tsl_cert *tc;
	uint8_t *der = NULL, want[20], got[20];
	const unsigned char *q;
	size_t len;
	unsigned int mdlen;
	X509 *x = NULL;

	p->cert = NULL;
	if (c->data == NULL) {
		warn_cert(p, "no Данные");
		goto out;
	}
	if (!b64_decode(c->data, &der, &len)) {
		warn_cert(p, "Данные is not base64");
		goto out;
	}
	q = der;
	if ((x = d2i_X509(NULL, &q, (long)len)) == NULL || q != der + len) {
		warn_cert(p, "Данные is not one DER certificate");
		goto out;
	}
	if (c->thumb == NULL ||
	    hex_decode(c->thumb, want, sizeof(want)) != 20) {
		warn_cert(p, "Отпечаток is not a SHA-1 in hex");
		goto out;
	}
	if (!EVP_Digest(der, len, got, &mdlen, EVP_sha1(), NULL) ||
	    memcmp(got, want, 20) != 0) {
		warn_cert(p, "SHA-1 of Данные differs from Отпечаток");
		goto out;
	}
	if (p->key->ncerts == TSL_MAX_CERTS) {
		fail(p, "more than %d certificates in one key", TSL_MAX_CERTS);
		goto out;
	}
	tc = &p->key->certs[p->key->ncerts++];
	tc->x509 = x;
	x = NULL;
	memcpy(tc->sha1, got, 20);
	tc->issued_by = c->issued_by;
	tc->issued_to = c->issued_to;
	tc->serial = c->serial;
	c->issued_by = c->issued_to = c->serial = NULL;
	tc->not_before = c->not_before;
	tc->not_after = c->not_after;
	p->info->certs++;
out:
	X509_free(x);
	free(der);
	cert_pending_free(c);
}

/* ---- paths -------------------------------------------------------- */

/* 1 when the open elements are exactly R, then `n` codes. */
static int
path_is(const struct parser *p, int n, ...)
{
	va_list ap;
	int i, ok = p->depth == n + 1 && p->stack[0] == E_ROOT;

	va_start(ap, n);
	for (i = 0; ok && i < n; i++) {
		int want = va_arg(ap, int);

		ok = want == -1 || p->stack[i + 1] == (enum el)want;
	}
	va_end(ap);
	return ok;
}

/* `extra` levels inside R/УЦ/ПАКи/ПАК/Ключи/Ключ. */
static int
in_key(const struct parser *p, int extra)
{
	return p->key != NULL && p->depth == 6 + extra && p->stack[1] == E_CA &&
	       p->stack[2] == E_PAKS && p->stack[3] == E_PAK &&
	       p->stack[4] == E_KEYS && p->stack[5] == E_KEY;
}

/* 1 when the element just opened (top of stack) carries text we keep. */
static int
wanted(const struct parser *p)
{
	enum el e = p->stack[p->depth - 1];

	if (p->depth == 2)
		return e == E_VERSION || e == E_DATE;
	if (p->ca == NULL)
		return 0;
	if (p->depth == 3)
		return e == E_NAME || e == E_SHORT || e == E_INN || e == E_OGRN;
	if (p->depth == 4 && p->stack[2] == E_STATUS)
		return e == E_STATUS_NAME || e == E_FROM || e == E_TO;
	if (p->depth == 5 && p->stack[2] == E_HISTORY && p->hist != NULL)
		return e == E_STATUS_NAME || e == E_FROM || e == E_TO;
	if (in_key(p, 1))
		return e == E_KEYID;
	if (in_key(p, 2))
		return e == E_ADDR && p->stack[6] == E_URLS;
	if (in_key(p, 3) && p->cert != NULL)
		return e >= E_THUMB && e <= E_DATA;
	return 0;
}

static void
element_open(struct parser *p, const char *name)
{
	enum el e = E_OTHER;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0) {
			e = names[i].code;
			break;
		}
	if (p->depth == 0) {
		if (p->root_seen || e != E_ROOT) {
			fail(p,
			     "the root element is <%.96s>, not "
			     "<АккредитованныеУдостоверяющиеЦентры>",
			     name);
			return;
		}
		p->root_seen = 1;
	}
	if (p->depth == TSL_MAX_DEPTH) {
		fail(p, "elements nested more than %d deep", TSL_MAX_DEPTH);
		return;
	}
	p->stack[p->depth] = e;
	snprintf(p->stack_name[p->depth], sizeof(p->stack_name[0]), "%s", name);
	p->depth++;
	p->text_len = 0;
	p->collecting = wanted(p);

	if (path_is(p, 1, E_CA)) {
		p->ca = xcalloc(1, sizeof(*p->ca));
		p->ca->line =
		    (unsigned long)xmlTextReaderGetParserLineNumber(p->r);
	} else if (p->ca != NULL && p->depth == 4 && p->stack[2] == E_HISTORY) {
		if (p->ca->nhistory == TSL_MAX_HISTORY) {
			fail(p, "more than %d accreditation history entries",
			     TSL_MAX_HISTORY);
			return;
		}
		p->ca->history = grow(p->ca->history, p->ca->nhistory,
				      sizeof(*p->ca->history));
		p->hist = &p->ca->history[p->ca->nhistory++];
	} else if (p->ca != NULL && p->depth == 6 && p->stack[1] == E_CA &&
		   p->stack[2] == E_PAKS && p->stack[3] == E_PAK &&
		   p->stack[4] == E_KEYS && e == E_KEY) {
		if (p->ca->nkeys == TSL_MAX_KEYS) {
			fail(p, "more than %d keys in one CA", TSL_MAX_KEYS);
			return;
		}
		p->ca->keys =
		    grow(p->ca->keys, p->ca->nkeys, sizeof(*p->ca->keys));
		p->key = &p->ca->keys[p->ca->nkeys++];
		p->info->keys++;
	} else if (in_key(p, 2) && p->stack[6] == E_CERTS && e == E_CERT) {
		p->cert = xcalloc(1, sizeof(*p->cert));
	}
}

/* A text field closed: store it where its path says. */
static void
field_close(struct parser *p, enum el e)
{
	char *s = text_trimmed(p);
	struct tsl_status *st;
	int64_t t;

	if (p->depth == 2) {
		if (e == E_VERSION && !parse_version(s, &p->info->version))
			fail(p, "not a version number");
		else if (e == E_DATE && !tsl_time(s, &p->info->date))
			fail(p, "not a date");
		return;
	}
	if (p->depth == 3) {
		set_str(e == E_NAME    ? &p->ca->name
			: e == E_SHORT ? &p->ca->short_name
			: e == E_INN   ? &p->ca->inn
				       : &p->ca->ogrn,
			s);
		return;
	}
	if (p->depth == 4 || p->depth == 5) {
		st = p->depth == 4 ? &p->ca->status : p->hist;
		if (e == E_STATUS_NAME) {
			set_str(&st->status, s);
		} else if (*s != '\0') {
			if (!tsl_time(s, &t)) {
				fail(p, "not a date");
				return;
			}
			*(e == E_FROM ? &st->from : &st->to) = t;
		}
		return;
	}
	if (e == E_KEYID) {
		set_str(&p->key->key_id, s);
	} else if (e == E_ADDR) {
		if (*s == '\0')
			return;
		/* The list may come over plain http: an address it gives
		 * is fetched only over the web, never as a local file (a
		 * FIFO would stall the fetcher; a file would be read). */
		if (strncasecmp(s, "http://", 7) != 0 &&
		    strncasecmp(s, "https://", 8) != 0) {
			warn_skipped(
			    p, "CRL address skipped, not http or https", s);
			return;
		}
		if (p->key->nurls == TSL_MAX_URLS) {
			fail(p, "more than %d CRL addresses in one key",
			     TSL_MAX_URLS);
			return;
		}
		p->key->urls[p->key->nurls++] = xstrdup(s);
	} else if (e == E_NOT_BEFORE || e == E_NOT_AFTER) {
		/* For people only (the certificate has its own validity):
		 * an odd one costs a warning, not the list. */
		if (*s != '\0' &&
		    !tsl_time(s, e == E_NOT_BEFORE ? &p->cert->not_before
						   : &p->cert->not_after))
			warn_skipped(p,
				     "certificate validity date ignored, "
				     "not a date",
				     s);
	} else {
		set_str(e == E_THUMB	   ? &p->cert->thumb
			: e == E_ISSUED_BY ? &p->cert->issued_by
			: e == E_ISSUED_TO ? &p->cert->issued_to
			: e == E_SERIAL	   ? &p->cert->serial
					   : &p->cert->data,
			s);
	}
}

static void
element_close(struct parser *p)
{
	enum el e;

	if (p->depth == 0)
		return;
	e = p->stack[p->depth - 1];
	if (p->collecting) {
		field_close(p, e);
		p->collecting = 0;
		if (p->failed)
			return;
	}
	if (path_is(p, 1, E_CA)) {
		if (p->ca->name == NULL || p->ca->name[0] == '\0') {
			fail(p, "a CA without Название");
			return;
		}
		p->info->cas++;
		if (p->fn != NULL && p->fn(p->ca, p->arg) != 0)
			fail(p, "stopped by the importer");
		ca_free(p->ca);
		p->ca = NULL;
	} else if (p->ca != NULL && p->depth == 4 && p->stack[2] == E_HISTORY) {
		p->hist = NULL;
	} else if (p->key != NULL && p->depth == 6 && e == E_KEY) {
		p->key = NULL;
	} else if (p->cert != NULL && in_key(p, 2) && e == E_CERT) {
		cert_close(p);
	}
	p->depth--;
	if (p->depth == 0)
		p->root_closed = 1;
}

static void
text(struct parser *p)
{
	const xmlChar *v = xmlTextReaderConstValue(p->r);
	size_t n;

	if (!p->collecting || v == NULL)
		return;
	n = strlen((const char *)v);
	if (n > TSL_MAX_FIELD - p->text_len) {
		fail(p, "text longer than %d octets", TSL_MAX_FIELD);
		return;
	}
	memcpy(p->text + p->text_len, v, n);
	p->text_len += n;
}

/* ---- the reader loop ---------------------------------------------- */

static int
run(struct parser *p)
{
	int rc, type;

	/* We handle errors ourselves: nothing goes to stderr. */
	xmlTextReaderSetStructuredErrorHandler(p->r, xml_error, p);
	while (!p->failed && (rc = xmlTextReaderRead(p->r)) == 1) {
		type = xmlTextReaderNodeType(p->r);
		switch (type) {
		case XML_READER_TYPE_ELEMENT: {
			const xmlChar *name = xmlTextReaderConstLocalName(p->r);
			int empty = xmlTextReaderIsEmptyElement(p->r);

			if (p->root_closed) {
				fail(p, "content after the root element");
				break;
			}
			element_open(p, name ? (const char *)name : "");
			if (empty && !p->failed)
				element_close(p);
			break;
		}
		case XML_READER_TYPE_END_ELEMENT:
			element_close(p);
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
			text(p);
			break;
		case XML_READER_TYPE_DOCUMENT_TYPE:
			/* rpki-client refuses DTDs in RRDP for the same
			 * reason: entities are the XML attack surface. */
			fail(p, "DOCTYPE is refused");
			break;
		case XML_READER_TYPE_ENTITY_REFERENCE:
		case XML_READER_TYPE_ENTITY:
		case XML_READER_TYPE_NOTATION:
			fail(p, "entities are refused");
			break;
		default:
			break; /* white space, comments, PIs */
		}
	}
	if (p->failed)
		return 0;
	if (p->doctype) {
		fail(p, "DOCTYPE is refused");
		return 0;
	}
	if (rc != 0 || p->xml_msg[0] != '\0') {
		int line = p->xml_line ? p->xml_line
				       : xmlTextReaderGetParserLineNumber(p->r);

		if (p->io_errno)
			snprintf(p->err, p->errlen, "%s: read: %s", p->label,
				 strerror(p->io_errno));
		else if (p->depth > 0)
			snprintf(p->err, p->errlen,
				 "%s: line %d: <%s>: malformed XML: %s",
				 p->label, line, p->stack_name[p->depth - 1],
				 p->xml_msg[0] ? p->xml_msg : "parse error");
		else
			snprintf(p->err, p->errlen,
				 "%s: line %d: malformed XML: %s", p->label,
				 line,
				 p->xml_msg[0] ? p->xml_msg : "parse error");
		return 0;
	}
	if (!p->root_seen || !p->root_closed) {
		fail(p, "no complete АккредитованныеУдостоверяющиеЦентры "
			"element");
		return 0;
	}
	return 1;
}

/* Options: no network, no DTD loading, no entity substitution (we leave
 * XML_PARSE_NOENT, XML_PARSE_DTDLOAD and XML_PARSE_DTDATTR off), errors
 * to our handler only. */
#define XML_OPTIONS                                                            \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |           \
	 XML_PARSE_NOCDATA)

/* Belt and braces: whatever the options, libxml2 never opens a file or
 * URL on a document's behalf in this process. */
static xmlParserInputPtr
refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(refuse_entity);
}

static int
parse(struct parser *p)
{
	int ok;

	p->text = xcalloc(TSL_MAX_FIELD + 1, 1);
	ok = p->r != NULL ? run(p) : 0;
	if (p->r == NULL)
		snprintf(p->err, p->errlen, "%s: cannot start the XML reader",
			 p->label);
	if (p->r != NULL)
		xmlFreeTextReader(p->r);
	ca_free(p->ca);
	cert_pending_free(p->cert);
	free(p->text);
	return ok;
}

static void
info_init(struct tsl_info *out)
{
	memset(out, 0, sizeof(*out));
	out->version = -1;
}

/* libxml2's input: hashes and counts every byte, and stops at once
 * (an error for libxml2) when the prolog holds a DOCTYPE. */
static int
input_read(void *arg, char *buf, int len)
{
	struct parser *p = arg;
	ssize_t n;

	if (p->doctype)
		return -1;
	if (p->mem != NULL || p->fd < 0) {
		n = (ssize_t)(p->mem_len - p->mem_off);
		if (n > len)
			n = len;
		if (n > 0)
			memcpy(buf, p->mem + p->mem_off, (size_t)n);
		p->mem_off += (size_t)n;
	} else {
		do
			n = read(p->fd, buf, (size_t)len);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			p->io_errno = errno;
			return -1;
		}
	}
	EVP_DigestUpdate(p->sha, buf, (size_t)n);
	p->info->size += (uint64_t)n;
	prolog_scan(p, (const uint8_t *)buf, (size_t)n);
	return p->doctype ? -1 : (int)n;
}

static int
input_close(void *arg)
{
	(void)arg;
	return 0; /* the caller owns the descriptor */
}

/* Both entry points: one reader over input_read(). */
static int
parse_input(struct parser *p, struct tsl_info *out)
{
	char rest[4096];
	int ok;

	pthread_once(&init_once, init);
	info_init(out);
	p->info = out;
	if ((p->sha = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(p->sha, EVP_sha256(), NULL))
		fatalx("tsl: cannot start SHA-256");
	p->r =
	    xmlReaderForIO(input_read, input_close, p, NULL, NULL, XML_OPTIONS);
	ok = parse(p);
	/* Hash whatever the reader left unread (trailing white space). */
	while (ok && input_read(p, rest, sizeof(rest)) > 0)
		;
	if (ok && p->io_errno) {
		snprintf(p->err, p->errlen, "%s: read: %s", p->label,
			 strerror(p->io_errno));
		ok = 0;
	}
	EVP_DigestFinal_ex(p->sha, out->sha256, NULL);
	EVP_MD_CTX_free(p->sha);
	return ok;
}

int
tsl_parse_memory(const uint8_t *buf, size_t len, const char *label,
		 tsl_ca_fn fn, void *arg, struct tsl_info *out, char *err,
		 size_t errlen)
{
	struct parser p = {0};

	p.label = label;
	p.fn = fn;
	p.arg = arg;
	p.err = err;
	p.errlen = errlen;
	p.fd = -1;
	p.mem = buf;
	p.mem_len = len;
	return parse_input(&p, out);
}

int
tsl_parse_fd(int fd, const char *label, tsl_ca_fn fn, void *arg,
	     struct tsl_info *out, char *err, size_t errlen)
{
	struct parser p = {0};

	p.label = label;
	p.fn = fn;
	p.arg = arg;
	p.err = err;
	p.errlen = errlen;
	p.fd = fd;
	return parse_input(&p, out);
}
