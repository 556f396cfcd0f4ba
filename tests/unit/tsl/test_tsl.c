/*
 * The trusted list (src/tsl/): the reader on lists generated here from
 * the test PKI (the real schema's element names, base64 with line
 * breaks, CRLF and a BOM where asked), hostile XML, the Версия rule in
 * the store, memory on a large list, and `otzyv import-tsl` end to end.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "otzyv/crypto.h"
#include "otzyv/limits.h"
#include "otzyv/status.h"
#include "otzyv/store.h"
#include "otzyv/tsl.h"
#include "otzyv/util.h"

static char *dir;

static void
setup(void)
{
	char err[256];

	cr_assert(crypto_init(GOST_AUTO, err, sizeof(err)), "%s", err);
	dir = tmpdir_new("tsl");
}

static void
teardown(void)
{
	tmpdir_remove(dir);
}

TestSuite(tsl, .init = setup, .fini = teardown, .timeout = 120);

/* ---- generating lists ---------------------------------------------- */

struct ca_spec {
	const char *name, *short_name, *inn, *status;
	const char *algs[3]; /* one key each, with ALG-ca.pem */
	int bad_thumb; /* the first certificate's Отпечаток is wrong */
	int file_mirror; /* its mirror address is file:///dev/zero */
};

/* The PEM body of ALG-ca.pem: base64 with line breaks, as in the list. */
static char *
pem_body(const char *alg, char thumb[41], char keyid[2 * MAX_KEYID_LEN + 1])
{
	char path[1024], *pem, *b, *e, *out;
	size_t len;
	X509 *x = load_ca(alg);
	unsigned char *der = NULL;
	uint8_t md[20];
	int n = i2d_X509(x, &der);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
	int i;

	cr_assert(n > 0);
	EVP_Digest(der, (size_t)n, md, NULL, EVP_sha1(), NULL);
	for (i = 0; i < 20; i++)
		sprintf(thumb + 2 * i, "%02X", md[i]);
	cr_assert_not_null(ski);
	hex_encode(ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski),
		   keyid);
	OPENSSL_free(der);
	X509_free(x);

	snprintf(path, sizeof(path), "%s/%s-ca.pem", test_pki(), alg);
	pem = (char *)read_file(path, &len);
	cr_assert_not_null(pem);
	pem = realloc(pem, len + 1);
	pem[len] = '\0';
	b = strstr(pem, "-----BEGIN CERTIFICATE-----");
	cr_assert_not_null(b);
	b = strchr(b, '\n') + 1;
	e = strstr(b, "-----END");
	cr_assert_not_null(e);
	out = strndup(b, (size_t)(e - b));
	free(pem);
	return out;
}

/* Writes one УдостоверяющийЦентр. nl is "\n" or "\r\n". */
static void
write_ca(FILE *f, const struct ca_spec *ca, const char *nl, int n)
{
	int k;

	fprintf(f,
		"  <УдостоверяющийЦентр>%s"
		"    <Название>%s</Название>%s"
		"    <ЭлектроннаяПочта>ca%d@example.ru</ЭлектроннаяПочта>%s"
		"    <КраткоеНазвание>%s</КраткоеНазвание>%s"
		"    <Адрес><Страна>RU</Страна><Город>Москва</Город>"
		"<Регион><Код>77</Код><Название>Москва</Название></Регион>"
		"</Адрес>%s",
		nl, ca->name, nl, n, nl, ca->short_name, nl, nl);
	fprintf(f,
		"    <ПрограммноАппаратныеКомплексы>%s"
		"      <ПрограммноАппаратныйКомплекс>%s"
		"        <Псевдоним>pak%d</Псевдоним>%s"
		"        <Адрес><Город>Москва</Город></Адрес>%s"
		"        <КлючиУполномоченныхЛиц>%s",
		nl, nl, n, nl, nl, nl);
	for (k = 0; k < 3 && ca->algs[k] != NULL; k++) {
		char thumb[41], keyid[2 * MAX_KEYID_LEN + 1];
		char *b64 = pem_body(ca->algs[k], thumb, keyid);

		if (ca->bad_thumb && k == 0)
			thumb[0] = thumb[0] == 'A' ? 'B' : 'A';
		fprintf(
		    f,
		    "          <Ключ>%s"
		    "            <ИдентификаторКлюча>%s</ИдентификаторКлюча>%s"
		    "            <АдресаСписковОтзыва>%s"
		    "              "
		    "<Адрес>http://cdp%d.example.ru/%s.crl</Адрес>%s"
		    "              "
		    "<Адрес>%s%s.crl</Адрес>%s"
		    "            </АдресаСписковОтзыва>%s"
		    "            <Сертификаты>%s"
		    "              <ДанныеСертификата>%s"
		    "                <Отпечаток>%s</Отпечаток>%s"
		    "                <КемВыдан>CN=%s</КемВыдан>%s"
		    "                <КомуВыдан>CN=%s</КомуВыдан>%s"
		    "                <СерийныйНомер>01</СерийныйНомер>%s"
		    "                "
		    "<ПериодДействияС>2020-01-01T00:00:00+03:00</"
		    "ПериодДействияС>%s"
		    "                "
		    "<ПериодДействияДо>2035-01-01T00:00:00</ПериодДействияДо>%s"
		    "                <Данные>%s</Данные>%s"
		    "              </ДанныеСертификата>%s"
		    "            </Сертификаты>%s"
		    "          </Ключ>%s",
		    nl, keyid, nl, nl, n, ca->algs[k], nl,
		    ca->file_mirror ? "file:///dev/zero#"
				    : "http://mirror.example.ru/",
		    ca->algs[k], nl, nl, nl, nl, thumb, nl, ca->algs[k], nl,
		    ca->algs[k], nl, nl, nl, nl, b64, nl, nl, nl, nl);
		free(b64);
	}
	fprintf(f,
		"        </КлючиУполномоченныхЛиц>%s"
		"      </ПрограммноАппаратныйКомплекс>%s"
		"    </ПрограммноАппаратныеКомплексы>%s"
		"    <ИНН>%s</ИНН>%s"
		"    <ОГРН>10277000%05d</ОГРН>%s"
		"    <СтатусАккредитации>%s"
		"      <Статус>%s</Статус>%s"
		"      <ДействуетС>2024-03-01T00:00:00+03:00</ДействуетС>%s"
		"    </СтатусАккредитации>%s"
		"    <ИсторияСтатусовАккредитации>%s"
		"      <СтатусАккредитации><Статус>Действует</Статус>"
		"<ДействуетС>2019-08-13T00:00:00+03:00</ДействуетС>"
		"<ДействуетПо>2024-03-01T00:00:00+03:00</ДействуетПо>"
		"</СтатусАккредитации>%s"
		"      <СтатусАккредитации><Статус>%s</Статус>"
		"<ДействуетС>2024-03-01T00:00:00+03:00</ДействуетС>"
		"</СтатусАккредитации>%s"
		"    </ИсторияСтатусовАккредитации>%s"
		"  </УдостоверяющийЦентр>%s",
		nl, nl, nl, ca->inn, nl, n, nl, nl, ca->status, nl, nl, nl, nl,
		nl, ca->status, nl, nl, nl);
}

static void
write_tsl(const char *path, long version, const struct ca_spec *cas, size_t n,
	  int crlf_bom)
{
	const char *nl = crlf_bom ? "\r\n" : "\n";
	FILE *f = fopen(path, "w");
	size_t i;

	cr_assert_not_null(f);
	if (crlf_bom)
		fputs("\xEF\xBB\xBF", f);
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>%s"
		"<АккредитованныеУдостоверяющиеЦентры "
		"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">%s"
		"  <Версия>%ld</Версия>%s"
		"  <Дата>2026-11-20T09:00:00+03:00</Дата>%s",
		nl, nl, version, nl, nl);
	for (i = 0; i < n; i++)
		write_ca(f, &cas[i], nl, (int)i);
	fprintf(f, "</АккредитованныеУдостоверяющиеЦентры>%s", nl);
	cr_assert_eq(fclose(f), 0);
}

static const struct ca_spec three[] = {
    {"Федеральная налоговая служба",
     "ФНС России",
     "7707329152",
     "Действует",
     {"rsa", "ecdsa", NULL},
     0,
     0},
    {"АО \"Калуга Астрал\"",
     "Калуга Астрал",
     "4029017981",
     "Прекращена",
     {"gost256", NULL, NULL},
     0,
     0},
    {"Федеральное казначейство",
     "Казначейство России",
     "7710568760",
     "Действует",
     {"gost512", "ed25519", NULL},
     0,
     0},
};

/* ---- the reader ---------------------------------------------------- */

struct collected {
	int cas, keys, certs, skipped, urls, history;
	char names[8][128], status[8][64], keyids[8][2 * MAX_KEYID_LEN + 1];
	int nkeyids;
	int64_t since[8], not_after;
};

static int
collect(const struct tsl_ca *ca, void *arg)
{
	struct collected *c = arg;
	size_t i;

	if (c->cas < 8) {
		snprintf(c->names[c->cas], sizeof(c->names[0]), "%s",
			 ca->short_name);
		snprintf(c->status[c->cas], sizeof(c->status[0]), "%s",
			 ca->status.status);
		c->since[c->cas] = ca->status.from;
	}
	c->cas++;
	c->history += (int)ca->nhistory;
	for (i = 0; i < ca->nkeys; i++) {
		c->keys++;
		c->certs += (int)ca->keys[i].ncerts;
		c->skipped += (int)ca->keys[i].skipped;
		c->urls += (int)ca->keys[i].nurls;
		if (c->nkeyids < 8)
			snprintf(c->keyids[c->nkeyids++], sizeof(c->keyids[0]),
				 "%s", ca->keys[i].key_id);
		if (ca->keys[i].ncerts)
			c->not_after = ca->keys[i].certs[0].not_after;
	}
	return 0;
}

static int
parse_path(const char *path, struct collected *c, struct tsl_info *info,
	   char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY), ok;

	cr_assert(fd >= 0);
	memset(c, 0, sizeof(*c));
	ok = tsl_parse_fd(fd, path, collect, c, info, err, errlen);
	close(fd);
	return ok;
}

Test(tsl, several_cas_keys_and_statuses)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, "three.xml");
	struct collected c;
	struct tsl_info info;
	char err[512];
	int64_t t;

	write_tsl(path, 42, three, 3, 0);
	cr_assert(parse_path(path, &c, &info, err, sizeof(err)), "%s", err);
	cr_assert_eq(info.version, 42);
	time_parse("2026-11-20T06:00:00Z", &t);
	cr_assert_eq(info.date, t);
	cr_assert_eq(c.cas, 3);
	cr_assert_eq(info.cas, 3);
	cr_assert_eq(c.keys, 5);
	cr_assert_eq(c.certs, 5);
	cr_assert_eq(info.certs, 5);
	cr_assert_eq(c.skipped, 0);
	cr_assert_eq(c.urls, 10);
	cr_assert_eq(c.history, 6);
	cr_assert_str_eq(c.names[0], "ФНС России");
	cr_assert_str_eq(c.names[1], "Калуга Астрал");
	cr_assert_str_eq(c.status[0], "Действует");
	cr_assert_str_eq(c.status[1], "Прекращена");
	time_parse("2024-02-29T21:00:00Z", &t);
	cr_assert_eq(c.since[1], t);
	/* No offset: taken as Moscow time (UTC+3). */
	time_parse("2034-12-31T21:00:00Z", &t);
	cr_assert_eq(c.not_after, t);
	/* The file's SHA-256 and size. */
	{
		size_t len;
		uint8_t *buf = read_file(path, &len), md[32];

		EVP_Digest(buf, len, md, NULL, EVP_sha256(), NULL);
		cr_assert_eq(info.size, len);
		cr_assert_eq(memcmp(md, info.sha256, 32), 0);
		free(buf);
	}
}

/* The list may come over plain http: a CRL address it gives is taken
 * only if it is http or https, never a local file. */
Test(tsl, only_web_crl_addresses)
{
	static const struct ca_spec local[] = {
	    {"УЦ с локальным адресом",
	     "Локальный",
	     "7707329152",
	     "Действует",
	     {"ecdsa", NULL, NULL},
	     0,
	     1},
	};
	char path[1024];
	struct collected c;
	struct tsl_info info;
	char err[512];

	snprintf(path, sizeof(path), "%s/%s", dir, "local.xml");
	write_tsl(path, 7, local, 1, 0);
	cr_assert(parse_path(path, &c, &info, err, sizeof(err)), "%s", err);
	cr_assert_eq(c.keys, 1);
	cr_assert_eq(c.urls, 1, "the file:// mirror was taken");
}

/* ПериодДействияС/До are for people (the certificate has its own
 * validity): one written oddly is no reason to refuse the list. */
Test(tsl, odd_validity_dates_cost_a_warning)
{
	char path[1024], *text, *at;
	struct collected c;
	struct tsl_info info;
	char err[512];
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, "dates.xml");
	write_tsl(path, 8, three, 1, 0);
	text = (char *)read_file(path, &len);
	cr_assert_not_null(text);
	at = strstr(text, "2020-01-01T00:00:00+03:00");
	cr_assert_not_null(at);
	memcpy(at, "13.08.2019 10:00:00+03:00", 25);
	cr_assert(write_file(path, text, len));
	free(text);
	cr_assert(parse_path(path, &c, &info, err, sizeof(err)), "%s", err);
	cr_assert_eq(c.certs, 2);
}

Test(tsl, crlf_bom_and_memory_input)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, "crlf.xml");
	struct collected c = {0};
	struct tsl_info info;
	char err[512];
	size_t len;
	uint8_t *buf;

	write_tsl(path, 7, three, 3, 1);
	buf = read_file(path, &len);
	cr_assert_not_null(buf);
	cr_assert(tsl_parse_memory(buf, len, "crlf.xml", collect, &c, &info,
				   err, sizeof(err)),
		  "%s", err);
	cr_assert_eq(c.cas, 3);
	cr_assert_eq(c.certs, 5);
	cr_assert_str_eq(c.names[2], "Казначейство России");
	free(buf);
}

Test(tsl, wrong_thumbprint_skips_that_certificate_only)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, "thumb.xml");
	struct ca_spec cas[2] = {three[0], three[1]};
	struct collected c;
	struct tsl_info info;
	char err[512];

	cas[0].bad_thumb = 1;
	write_tsl(path, 1, cas, 2, 0);
	cr_assert(parse_path(path, &c, &info, err, sizeof(err)), "%s", err);
	cr_assert_eq(c.cas, 2);
	cr_assert_eq(c.keys, 3);
	cr_assert_eq(c.certs, 2);
	cr_assert_eq(c.skipped, 1);
	cr_assert_eq(info.skipped, 1);
}

static int
never(const struct tsl_ca *ca, void *arg)
{
	(void)ca;
	(void)arg;
	cr_assert_fail("a CA was handed over from a refused list");
	return 1;
}

static void
refused(const char *xml, const char *want)
{
	struct tsl_info info;
	char err[512] = "";

	cr_assert_not(tsl_parse_memory((const uint8_t *)xml, strlen(xml),
				       "hostile.xml", never, NULL, &info, err,
				       sizeof(err)),
		      "accepted: %s", xml);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_null(strstr(err, "root:"), "%s", err);
}

Test(tsl, doctype_and_entities_are_refused)
{
	refused(
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    "]>\n"
	    "<АккредитованныеУдостоверяющиеЦентры><Версия>&lol3;</Версия>"
	    "</АккредитованныеУдостоверяющиеЦентры>\n",
	    "DOCTYPE is refused");
	refused("<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
		"<АккредитованныеУдостоверяющиеЦентры><УдостоверяющийЦентр>"
		"<Название>&xxe;</Название></УдостоверяющийЦентр>"
		"</АккредитованныеУдостоверяющиеЦентры>\n",
		"DOCTYPE is refused");
	refused("<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/x.dtd\">"
		"<АккредитованныеУдостоверяющиеЦентры/>",
		"DOCTYPE is refused");
	/* Without a DTD an entity is undefined: malformed, never read. */
	refused("<АккредитованныеУдостоверяющиеЦентры><УдостоверяющийЦентр>"
		"<Название>&xxe;</Название></УдостоверяющийЦентр>"
		"</АккредитованныеУдостоверяющиеЦентры>",
		"line 1");
	refused("<Другое/>", "root element");
	refused("", "line");
}

Test(tsl, truncated_list_is_rejected_with_its_line)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, "full.xml");
	size_t len, cut;
	uint8_t *buf;
	struct collected c = {0};
	struct tsl_info info;
	char err[512], *p;

	write_tsl(path, 3, three, 3, 0);
	buf = read_file(path, &len);
	/* Cut inside the third CA's base64. */
	p = strstr((char *)buf, "<Данные>");
	p = strstr(p + 1, "<Данные>");
	p = strstr(p + 1, "<Данные>");
	p = strstr(p + 1, "<Данные>");
	cr_assert_not_null(p);
	cut = (size_t)(p - (char *)buf) + 40;
	cr_assert_not(tsl_parse_memory(buf, cut, "cut.xml", collect, &c, &info,
				       err, sizeof(err)));
	cr_assert_not_null(strstr(err, "cut.xml: line "), "%s", err);
	cr_assert_not_null(strstr(err, "<Данные>"), "%s", err);
	/* The CAs before the cut were handed over; the importer must not
	 * act on them (it validates the whole list first). */
	cr_assert_eq(c.cas, 2);
	free(buf);
}

/* Resets the peak to the current RSS (Linux 4.0+: clear_refs "5"), so
 * the peak measured after shows what the parse itself added. */
static void
vm_hwm_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f != NULL) {
		fputs("5", f);
		fclose(f);
	}
}

static long
vm_hwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int
count(const struct tsl_ca *ca, void *arg)
{
	(void)ca;
	++*(int *)arg;
	return 0;
}

Test(tsl, large_list_in_bounded_memory)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, "large.xml");
	struct ca_spec spec = {
	    "УЦ", "УЦ", "7700000000", "Действует", {"rsa", NULL, NULL}, 0, 0};
	char names[64];
	FILE *f;
	int i, n = 0, fd;
	long before, after;
	struct tsl_info info;
	char err[512];
	size_t len;
	uint8_t *buf;

	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<АккредитованныеУдостоверяющиеЦентры>\n"
		"<Версия>100</Версия><Дата>2026-11-20T09:00:00+03:00</Дата>\n");
	for (i = 0; i < 2000; i++) {
		snprintf(names, sizeof(names), "УЦ номер %d", i);
		spec.name = spec.short_name = names;
		write_ca(f, &spec, "\n", i);
	}
	fprintf(f, "</АккредитованныеУдостоверяющиеЦентры>\n");
	cr_assert_eq(fclose(f), 0);
	buf = read_file(path, &len);
	free(buf);
	cr_assert_gt(len, 4u << 20, "only %zu bytes", len);

	vm_hwm_reset();
	before = vm_hwm_kb();
	fd = open(path, O_RDONLY);
	cr_assert(tsl_parse_fd(fd, path, count, &n, &info, err, sizeof(err)),
		  "%s", err);
	close(fd);
	after = vm_hwm_kb();
	cr_assert_eq(n, 2000);
	cr_assert_eq(info.certs, 2000);
	cr_log_info("large list: %zu bytes, peak RSS grew %ld kB", len,
		    after - before);
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's quarantine keeps freed blocks resident: growth follows
	 * the total allocated, not what is live. Checked without it. */
#else
	cr_assert_lt(after - before, 4 * 1024,
		     "peak RSS grew %ld kB on a %zu-byte list", after - before,
		     len);
#endif
}

/* ---- the store and the Версия rule --------------------------------- */

struct issuers {
	int n, with_inn, terminated;
	char urls[1024];
};

static int
each_issuer(const struct store_issuer *is, void *arg)
{
	struct issuers *r = arg;
	json_t *acc;

	r->n++;
	if (is->inn == NULL)
		return 0;
	r->with_inn++;
	cr_assert(is->source & STORE_SRC_TSL);
	cr_assert_not_null(is->ogrn);
	cr_assert_not_null(is->crl_urls);
	acc = json_loads(is->accreditation, 0, NULL);
	cr_assert_not_null(acc, "%s", is->accreditation);
	cr_assert_eq(json_array_size(json_object_get(acc, "history")), 2);
	if (strcmp(json_string_value(json_object_get(acc, "status")),
		   "Прекращена") == 0) {
		r->terminated++;
		cr_assert_str_eq(
		    json_string_value(json_object_get(acc, "since")),
		    "2024-02-29T21:00:00Z");
		snprintf(r->urls, sizeof(r->urls), "%s", is->crl_urls);
	}
	json_decref(acc);
	return 0;
}

static enum tsl_import_status
import(struct store *s, const char *path, struct tsl_import_result *r)
{
	return tsl_import_file(s, path, NULL, r);
}

Test(tsl, version_rule_and_store_fields)
{
	struct store *s;
	struct store_txn *t;
	struct store_tsl_meta m;
	struct tsl_import_result r;
	struct issuers is = {0};
	struct ca_spec other[3] = {three[0], three[1], three[2]};
	char v10[1024];
	snprintf(v10, sizeof(v10), "%s/%s", dir, "v10.xml");
	char v10b[1024];
	snprintf(v10b, sizeof(v10b), "%s/%s", dir, "v10b.xml");
	char v9[1024];
	snprintf(v9, sizeof(v9), "%s/%s", dir, "v9.xml");
	char v11[1024];
	snprintf(v11, sizeof(v11), "%s/%s", dir, "v11.xml");

	cr_assert_eq(store_open(path_in(dir, "store"), 64 << 20, 1, &s),
		     STORE_OK);
	write_tsl(v10, 10, three, 3, 0);
	other[0].inn = "7707329153";
	write_tsl(v10b, 10, other, 3, 0);
	write_tsl(v9, 9, three, 3, 0);
	write_tsl(v11, 11, other, 3, 0);

	cr_assert_eq(import(s, v10, &r), TSL_IMPORT_OK, "%s", r.msg);
	cr_assert_eq(r.issuers, 5);
	cr_assert_eq(r.added, 5);
	cr_assert_eq(import(s, v10, &r), TSL_IMPORT_UNCHANGED, "%s", r.msg);
	cr_assert_eq(import(s, v10b, &r), TSL_IMPORT_REJECTED);
	cr_assert_not_null(strstr(r.msg, "other content"), "%s", r.msg);
	cr_assert_eq(import(s, v9, &r), TSL_IMPORT_REJECTED);
	cr_assert_not_null(strstr(r.msg, "rollback"), "%s", r.msg);
	cr_assert_eq(import(s, v11, &r), TSL_IMPORT_OK, "%s", r.msg);
	cr_assert_eq(r.added, 0);
	cr_assert_eq(r.issuers, 5);

	cr_assert_eq(store_read_begin(s, &t), STORE_OK);
	cr_assert_eq(store_tsl_get(t, &m), STORE_OK);
	cr_assert(m.present);
	cr_assert_eq(m.version, 11);
	cr_assert_eq(memcmp(m.sha256, r.info.sha256, 32), 0);
	cr_assert_eq(store_issuer_foreach(t, each_issuer, &is), STORE_OK);
	store_txn_end(t);
	cr_assert_eq(is.n, 5);
	cr_assert_eq(is.with_inn, 5);
	cr_assert_eq(is.terminated, 1);
	cr_assert_str_eq(is.urls, "http://cdp1.example.ru/gost256.crl\n"
				  "http://mirror.example.ru/gost256.crl");
	store_close(s);
}

struct fns {
	int n;
	char acc[2][1024];
};

static int
each_fns(const struct store_issuer *is, void *arg)
{
	struct fns *f = arg;

	if (is->inn != NULL && strcmp(is->inn, "7707329152") == 0 && f->n < 2)
		snprintf(f->acc[f->n++], sizeof(f->acc[0]), "%s",
			 is->accreditation);
	return 0;
}

/* accreditation_changed events: how many, and that one says `status`. */
struct changes {
	int n;
	const char *status;
	int seen;
};

static int
each_change(int64_t at, uint64_t seq, const char *json, size_t len, void *arg)
{
	struct changes *c = arg;
	json_t *ev = json_loadb(json, len, 0, NULL);
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *st = json_string_value(json_object_get(ev, "status"));

	(void)at;
	(void)seq;
	if (type != NULL && strcmp(type, "accreditation_changed") == 0) {
		c->n++;
		c->seen += st != NULL && strcmp(st, c->status) == 0;
	}
	json_decref(ev);
	return 0;
}

/* A CA the list stops naming is accredited no more from the last list
 * that named it: what it issued before stays qualified, what it issues
 * later is not; journalled once. */
Test(tsl, a_ca_the_list_drops_is_no_longer_accredited)
{
	struct store *s;
	struct store_txn *t;
	struct tsl_import_result r;
	struct fns f = {0};
	char v10[1024], v11[1024], v12[1024];
	int64_t before, after;
	size_t i;

	snprintf(v10, sizeof(v10), "%s/%s", dir, "d10.xml");
	snprintf(v11, sizeof(v11), "%s/%s", dir, "d11.xml");
	snprintf(v12, sizeof(v12), "%s/%s", dir, "d12.xml");
	cr_assert_eq(store_open(path_in(dir, "store"), 64 << 20, 1, &s),
		     STORE_OK);
	write_tsl(v10, 10, three, 3, 0);
	write_tsl(v11, 11, three + 1, 2, 0); /* without ФНС (2 keys) */
	write_tsl(v12, 12, three + 1, 2, 0);
	cr_assert_eq(import(s, v10, &r), TSL_IMPORT_OK, "%s", r.msg);
	cr_assert_eq(r.unlisted, 0);
	cr_assert_eq(import(s, v11, &r), TSL_IMPORT_OK, "%s", r.msg);
	cr_assert_eq(r.unlisted, 2);
	cr_assert_eq(import(s, v12, &r), TSL_IMPORT_OK, "%s", r.msg);
	cr_assert_eq(r.unlisted, 0, "already unlisted");
	{
		struct changes ch = {0, "Нет в перечне", 0};

		cr_assert_eq(store_read_begin(s, &t), STORE_OK);
		cr_assert_eq(store_event_foreach(t, 0, each_change, &ch),
			     STORE_OK);
		store_txn_end(t);
		cr_assert_eq(ch.n, 2, "one event per key, once");
		cr_assert_eq(ch.seen, 2);
	}
	/* Named again: journalled as a change back. */
	{
		char v13[1024];
		struct changes ch = {0, "Действует", 0};

		snprintf(v13, sizeof(v13), "%s/%s", dir, "d13.xml");
		write_tsl(v13, 13, three, 3, 0);
		cr_assert_eq(import(s, v13, &r), TSL_IMPORT_OK, "%s", r.msg);
		cr_assert_eq(store_read_begin(s, &t), STORE_OK);
		cr_assert_eq(store_event_foreach(t, 0, each_change, &ch),
			     STORE_OK);
		store_txn_end(t);
		cr_assert_eq(ch.n, 4);
		cr_assert_eq(ch.seen, 2);
	}
	cr_assert_eq(import(s, v12, &r), TSL_IMPORT_REJECTED, "rollback");
	{
		char v14[1024];

		snprintf(v14, sizeof(v14), "%s/%s", dir, "d14.xml");
		write_tsl(v14, 14, three + 1, 2, 0);
		cr_assert_eq(import(s, v14, &r), TSL_IMPORT_OK, "%s", r.msg);
		cr_assert_eq(r.unlisted, 2);
	}

	cr_assert_eq(store_read_begin(s, &t), STORE_OK);
	cr_assert_eq(store_issuer_foreach(t, each_fns, &f), STORE_OK);
	store_txn_end(t);
	cr_assert_eq(f.n, 2);
	/* v10's Дата: 2026-11-20T06:00:00Z. */
	time_parse("2025-01-01T00:00:00Z", &before);
	time_parse("2026-11-20T06:00:01Z", &after);
	for (i = 0; i < 2; i++) {
		cr_assert_not_null(strstr(f.acc[i], "Нет в перечне"), "%s",
				   f.acc[i]);
		cr_assert_eq(status_qualified(STORE_SRC_TSL, f.acc[i], before),
			     QUALIFIED_YES, "%s", f.acc[i]);
		cr_assert_eq(status_qualified(STORE_SRC_TSL, f.acc[i], after),
			     QUALIFIED_NO, "%s", f.acc[i]);
	}
	store_close(s);
}

struct bg_import {
	struct store *s;
	const char *path;
	struct tsl_import_result r;
	enum tsl_import_status st;
	atomic_int done;
};

static void *
bg_import(void *arg)
{
	struct bg_import *b = arg;

	b->st = tsl_import_file(b->s, b->path, NULL, &b->r);
	atomic_store(&b->done, 1);
	return NULL;
}

/* One import at a time (across processes: a file lock): a second
 * waits, so that the stored version and the issuers' list fields come
 * from the same list. */
Test(tsl, imports_take_turns)
{
	struct bg_import b = {0};
	pthread_t th;
	char v10[1024];
	int lock, i;

	snprintf(v10, sizeof(v10), "%s/%s", dir, "t10.xml");
	write_tsl(v10, 10, three, 3, 0);
	cr_assert_eq(store_open(path_in(dir, "store"), 64 << 20, 1, &b.s),
		     STORE_OK);
	b.path = v10;
	cr_assert_geq(lock = store_tsl_lock(b.s, 1), 0);
	cr_assert_eq(pthread_create(&th, NULL, bg_import, &b), 0);
	usleep(300 * 1000);
	cr_assert_not(atomic_load(&b.done), "imported while another held the "
					    "lock");
	close(lock);
	for (i = 0; i < 100 && !atomic_load(&b.done); i++)
		usleep(100 * 1000);
	pthread_join(th, NULL);
	cr_assert_eq(b.st, TSL_IMPORT_OK, "%s", b.r.msg);
	store_close(b.s);
}

Test(tsl, exclusions_by_name_and_key_id)
{
	struct store *s;
	struct tsl_import_result r;
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, "ex.xml");
	char thumb[41], keyid[2 * MAX_KEYID_LEN + 1], upper[sizeof(keyid)];
	const char *ex[2];
	struct tsl_import_opts o = {ex, 2, NULL, 0};
	size_t i;

	free(pem_body("gost512", thumb, keyid));
	for (i = 0; keyid[i]; i++)
		upper[i] = (char)(keyid[i] >= 'a' ? keyid[i] - 32 : keyid[i]);
	upper[i] = '\0';
	ex[0] = "Калуга Астрал";
	ex[1] = upper;
	cr_assert_eq(store_open(path_in(dir, "store"), 64 << 20, 1, &s),
		     STORE_OK);
	write_tsl(path, 1, three, 3, 0);
	cr_assert_eq(tsl_import_file(s, path, &o, &r), TSL_IMPORT_OK, "%s",
		     r.msg);
	cr_assert_eq(r.excluded, 2);
	cr_assert_eq(r.issuers, 3);
	store_close(s);
}

/* ---- otzyv import-tsl end to end ------------------------------------ */

static char conf[1024];

static int
otzyv(char **out, const char *args)
{
	if (out == NULL)
		return run("'%s' -c '%s' %s", env_path("OTZYV_BIN"), conf,
			   args);
	return run_capture(out, "'%s' -c '%s' %s", env_path("OTZYV_BIN"), conf,
			   args);
}

Test(tsl, cli_import_then_crl_without_issuer)
{
	FILE *f;
	char args[2048], *out = NULL;
	char tsl[1024];
	snprintf(tsl, sizeof(tsl), "%s/%s", dir, "list.xml");
	char crl[1024];
	snprintf(crl, sizeof(crl), "%s/%s", dir, "gost256.crl");
	char doctype[1024];
	snprintf(doctype, sizeof(doctype), "%s/%s", dir, "doctype.xml");
	json_t *doc, *arr;
	size_t i;
	int found = 0;

	snprintf(conf, sizeof(conf), "%s/otzyv.conf", dir);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"[store]\npath = %s/store\nmap_size = 64M\n\n"
		"[crypto]\ngost = auto\n",
		dir);
	fclose(f);
	write_tsl(tsl, 5, three, 3, 1);

	snprintf(args, sizeof(args), "import-tsl '%s'", tsl);
	cr_assert_eq(otzyv(&out, args), 0);
	cr_assert_not_null(strstr(out, "imported"), "%s", out);
	cr_assert_not_null(strstr(out, "3 CAs"), "%s", out);
	free(out);
	cr_assert_eq(otzyv(&out, args), 0);
	cr_assert_not_null(strstr(out, "unchanged"), "%s", out);
	free(out);

	cr_assert_eq(otzyv(&out, "cas --json"), 0);
	doc = json_loads(out, 0, NULL);
	arr = json_object_get(doc, "cas");
	cr_assert(json_is_array(arr), "%s", out);
	cr_assert_eq(json_integer_value(json_object_get(
			 json_object_get(doc, "tsl"), "version")),
		     5, "%s", out);
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		const char *inn = json_string_value(json_object_get(o, "inn"));

		cr_assert_not_null(inn);
		cr_assert_not_null(json_object_get(o, "ogrn"));
		cr_assert_not_null(json_object_get(o, "accreditation"));
		cr_assert_eq(json_array_size(json_object_get(o, "urls")), 2);
		if (strcmp(inn, "4029017981") == 0) {
			found = 1;
			cr_assert_str_eq(
			    json_string_value(json_object_get(
				json_object_get(o, "accreditation"), "status")),
			    "Прекращена");
		}
	}
	cr_assert_eq(json_array_size(arr), 5);
	cr_assert(found);
	json_decref(doc);
	free(out);

	/* A CRL of a listed CA, found without --issuer. */
	cr_assert_eq(gencrl("gost256", crl,
			    "--number 1 --entry 1001,2026-01-10T00:00:00Z,"
			    "keyCompromise"),
		     0);
	snprintf(args, sizeof(args), "import-crl '%s'", crl);
	cr_assert_eq(otzyv(&out, args), 0);
	cr_assert_not_null(strstr(out, "imported"), "%s", out);
	free(out);
	snprintf(args, sizeof(args), "status '%s/gost256-leaf.pem'",
		 test_pki());
	cr_assert_eq(otzyv(&out, args), 1);
	cr_assert_not_null(strstr(out, "status: revoked"), "%s", out);
	free(out);
	snprintf(args, sizeof(args),
		 "status --issuer '%s/gost256-ca.pem' --serial 2002",
		 test_pki());
	cr_assert_eq(otzyv(&out, args), 0);
	cr_assert_not_null(strstr(out, "status: good"), "%s", out);
	free(out);

	/* Refusals. */
	/* A URL nothing answers at (loopback port 1): the download fails,
	 * named, and nothing is imported. */
	cr_assert_eq(otzyv(&out, "import-tsl http://127.0.0.1:1/tsl.xml 2>&1"),
		     4);
	cr_assert_not_null(strstr(out, "http://127.0.0.1:1/tsl.xml"), "%s",
			   out);
	free(out);
	f = fopen(doctype, "w");
	fputs("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	      "<АккредитованныеУдостоверяющиеЦентры><Версия>&x;</Версия>"
	      "</АккредитованныеУдостоверяющиеЦентры>",
	      f);
	fclose(f);
	snprintf(args, sizeof(args), "import-tsl '%s' 2>&1", doctype);
	cr_assert_eq(otzyv(&out, args), 1);
	cr_assert_not_null(strstr(out, "DOCTYPE is refused"), "%s", out);
	free(out);
	cr_assert_eq(otzyv(&out, "events"), 0);
	cr_assert_not_null(strstr(out, "\"tsl_imported\""), "%s", out);
	free(out);
}
