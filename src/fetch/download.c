/*
 * One download: a curl easy handle that writes a spool file, hashing as
 * it goes, and never writes past its limit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"
#include "otzyv/fetch.h"

int
fetch_limits_copy(struct fetch_limits *out, const struct config *cfg)
{
	memset(out, 0, sizeof(*out));
	out->timeout = cfg->fetch_timeout;
	out->connect_timeout = cfg->fetch_connect_timeout;
	out->low_speed_time = cfg->fetch_low_speed_time;
	out->low_speed_limit = cfg->fetch_low_speed_limit;
	out->max_redirects = cfg->fetch_max_redirects;
	out->user_agent = strdup(cfg->fetch_user_agent);
	if (cfg->fetch_ca_bundle != NULL)
		out->ca_bundle = strdup(cfg->fetch_ca_bundle);
	return out->user_agent != NULL &&
	       (cfg->fetch_ca_bundle == NULL || out->ca_bundle != NULL);
}

void
fetch_limits_free(struct fetch_limits *l)
{
	free(l->user_agent);
	free(l->ca_bundle);
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct download *d = arg;
	size_t len = size * n, off = 0;

	/* Cut off at the limit: what is on disk never exceeds it. */
	if (len > d->limit - d->written) {
		d->too_big = 1;
		return 0;
	}
	while (off < len) {
		ssize_t w = write(d->fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		off += (size_t)w;
	}
	EVP_DigestUpdate(d->sha, data, len);
	d->written += len;
	return len;
}

/* Copies a header's value (trimmed) when its name is `name`. */
static void
header_value(const char *line, size_t len, const char *name, char *out,
	     size_t cap)
{
	size_t n = strlen(name), end;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	for (end = len;
	     end > 0 && (line[end - 1] == '\r' || line[end - 1] == '\n' ||
			 line[end - 1] == ' ');
	     end--)
		;
	if (end >= cap)
		return; /* too long to be a validator we would send back */
	memcpy(out, line, end);
	out[end] = '\0';
}

static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	struct download *d = arg;
	size_t len = size * n;

	/* A new response (after a redirect) starts afresh. */
	if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
		d->etag[0] = '\0';
		d->last_modified[0] = '\0';
	}
	header_value(line, len, "ETag", d->etag, sizeof(d->etag));
	header_value(line, len, "Last-Modified", d->last_modified,
		     sizeof(d->last_modified));
	return len;
}

static int
add_header(struct download *d, const char *fmt, const char *v)
{
	char line[512];
	struct curl_slist *l;

	snprintf(line, sizeof(line), fmt, v);
	if ((l = curl_slist_append(d->headers, line)) == NULL)
		return 0;
	d->headers = l;
	return 1;
}

static int
set_options(struct download *d, const struct fetch_limits *l, const char *url,
	    const char *etag, const char *last_modified)
{
	CURL *e = d->easy;
	int ok = 1;

	ok &= curl_easy_setopt(e, CURLOPT_URL, url) == CURLE_OK;
	/* Only what a CRL distribution point or the Ministry serves; no
	 * ftp, ldap, or scp by way of a redirect. */
	ok &= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file") ==
	      CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ==
	      CURLE_OK;
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)l->max_redirects);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)l->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)l->connect_timeout);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)l->low_speed_limit);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)l->low_speed_time);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)d->limit);
	curl_easy_setopt(e, CURLOPT_USERAGENT, l->user_agent);
	/* gzip or deflate when the server offers it (the trusted list
	 * shrinks tenfold); the limit and the hash apply to what is
	 * decoded, so a compression bomb is cut off like any large body. */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (l->ca_bundle != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, l->ca_bundle);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, d);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, d->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, d);
	if (etag != NULL && *etag != '\0')
		ok &= add_header(d, "If-None-Match: %s", etag);
	if (last_modified != NULL && *last_modified != '\0')
		ok &= add_header(d, "If-Modified-Since: %s", last_modified);
	if (d->headers != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->headers);
	return ok;
}

int
download_init(struct download *d, const struct fetch_limits *l, const char *url,
	      const char *path, uint64_t limit, const char *etag,
	      const char *last_modified, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	d->limit = limit;
	d->url = url;
	d->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (d->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return 0;
	}
	if ((d->sha = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(d->sha, EVP_sha256(), NULL) ||
	    (d->easy = curl_easy_init()) == NULL ||
	    !set_options(d, l, url, etag, last_modified)) {
		snprintf(err, errlen, "%s: cannot set up the transfer", url);
		download_cleanup(d);
		return 0;
	}
	return 1;
}

enum download_outcome
download_finish(struct download *d, CURLcode rc, char *err, size_t errlen)
{
	long code = 0;

	EVP_DigestFinal_ex(d->sha, d->sha256, NULL);
	curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &code);
	if (d->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errlen, "larger than the limit of %llu bytes",
			 (unsigned long long)d->limit);
		return DOWNLOAD_FAILED;
	}
	if (rc == CURLE_TOO_MANY_REDIRECTS) {
		snprintf(err, errlen, "more than the allowed redirects");
		return DOWNLOAD_FAILED;
	}
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s",
			 d->errbuf[0] ? d->errbuf : curl_easy_strerror(rc));
		return DOWNLOAD_FAILED;
	}
	if (code == 304)
		return DOWNLOAD_NOT_MODIFIED;
	/* file:// answers 0; http answers 200 (or another 2xx). */
	if (code != 0 && (code < 200 || code > 299)) {
		snprintf(err, errlen, "HTTP %ld", code);
		return DOWNLOAD_FAILED;
	}
	if (fsync(d->fd) != 0) {
		snprintf(err, errlen, "spool: %s", strerror(errno));
		return DOWNLOAD_FAILED;
	}
	return DOWNLOAD_BODY;
}

void
download_cleanup(struct download *d)
{
	if (d->easy != NULL)
		curl_easy_cleanup(d->easy);
	curl_slist_free_all(d->headers);
	EVP_MD_CTX_free(d->sha);
	if (d->fd >= 0)
		close(d->fd);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

int
fetch_download(const struct config *cfg, const char *url, const char *path,
	       uint64_t max, char *err, size_t errlen)
{
	struct fetch_limits l;
	struct download d;
	CURLcode rc;
	int ok = 0;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!fetch_limits_copy(&l, cfg)) {
		snprintf(err, errlen, "out of memory");
		fetch_limits_free(&l);
		return 0;
	}
	if (download_init(&d, &l, url, path, max, NULL, NULL, err, errlen)) {
		rc = curl_easy_perform(d.easy);
		switch (download_finish(&d, rc, err, errlen)) {
		case DOWNLOAD_BODY:
			ok = 1;
			break;
		case DOWNLOAD_NOT_MODIFIED:
			snprintf(err, errlen, "%s: HTTP 304 to a plain request",
				 url);
			break;
		case DOWNLOAD_FAILED:
			break;
		}
		download_cleanup(&d);
	}
	fetch_limits_free(&l);
	return ok;
}

void
fetch_crl_path(const char *state_dir, uint32_t id, char *out, size_t len)
{
	snprintf(out, len, "%s/crl/%u.crl", state_dir, id);
}
