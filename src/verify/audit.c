/*
 * The audit trail of signature decisions ([verify] audit_log): one line
 * per decision, key=value as the daemon's log, naming the request, each
 * signer (serial, issuer), the verdicts and the reasons; never the
 * content, the signature or anything else the caller sent.
 *
 * Lines go to the daemon's log (stderr) or, with [verify] audit_file,
 * are appended to that file, each with one write(2): O_APPEND keeps
 * lines from several threads whole.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "otzyv/log.h"
#include "otzyv/util.h"
#include "otzyv/verify.h"

/* A line, within the log's (util/log.c): a signer whose fields do not
 * fit whole is left out, and signers_omitted says how many were. */
#define AUDIT_LINE 1900

struct verify_audit {
	int fd; /* -1: the log */
};

struct verify_audit *
verify_audit_open(const char *file, char *err, size_t errlen)
{
	struct verify_audit *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->fd = -1;
	if (file != NULL &&
	    (a->fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0640)) < 0) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		free(a);
		return NULL;
	}
	return a;
}

void
verify_audit_close(struct verify_audit *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}

void
verify_audit_id(char out[VERIFY_AUDIT_ID_LEN])
{
	static _Atomic uint32_t prefix;
	static atomic_uint_fast32_t seq;
	uint32_t p = atomic_load(&prefix), r;

	/* A random first half per process, so that the ids of restarts
	 * and replicas do not collide; a counter after it. */
	while (p == 0) {
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
		r |= 1;
		if (atomic_compare_exchange_strong(&prefix, &p, r))
			p = r;
	}
	snprintf(out, VERIFY_AUDIT_ID_LEN, "%08x%08x", (unsigned)p,
		 (unsigned)(atomic_fetch_add(&seq, 1) + 1));
}

/* Appends printf output to buf[AUDIT_LINE]: 1, or 0 (and nothing
 * appended) when it does not fit whole. */
static int add(char *buf, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
add(char *buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, AUDIT_LINE - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= AUDIT_LINE - *len) {
		buf[*len] = '\0';
		return 0;
	}
	*len += (size_t)n;
	return 1;
}

/* A string member of o, escaped for a quoted log value. */
static const char *
esc(const json_t *o, const char *key, char *out, size_t size)
{
	return log_escape_str(json_string_value(json_object_get(o, key)), out,
			      size);
}

/* " sN_serial=... sN_issuer=... sN_verdict=... sN_reasons=a,b
 * sN_time_source=...", all or nothing: 1 or 0. */
static int
add_signer(char *buf, size_t *len, size_t i, const json_t *s)
{
	const json_t *reasons = json_object_get(s, "reasons"), *r;
	char e[512];
	size_t k, was = *len;
	int ok;

	ok = add(buf, len, " s%zu_serial=%s", i,
		 esc(s, "serial", e, sizeof(e))) &&
	     add(buf, len, " s%zu_issuer=\"%s\"", i,
		 esc(s, "issuer", e, sizeof(e))) &&
	     add(buf, len, " s%zu_verdict=%s", i,
		 esc(s, "verdict", e, sizeof(e))) &&
	     add(buf, len, " s%zu_reasons=", i);
	/* Reasons are otzyv's own names (report.c): nothing to escape. */
	json_array_foreach(reasons, k, r)
	{
		if (ok && json_is_string(r))
			ok = add(buf, len, "%s%s", k ? "," : "",
				 json_string_value(r));
	}
	ok = ok && add(buf, len, " s%zu_time_source=%s", i,
		       esc(s, "signing_time_source", e, sizeof(e)));
	if (!ok) {
		*len = was;
		buf[was] = '\0';
	}
	return ok;
}

/* One line to the audit file, with a time stamp of its own (the log's
 * prefix is not there): one write, whole. */
static void
append(int fd, const char *line)
{
	char out[AUDIT_LINE + 96], ts[32];
	int n = snprintf(out, sizeof(out), "ts=%s %s\n",
			 time_format(time(NULL), ts), line);

	if (n > 0 && write(fd, out, (size_t)n) != n)
		log_warn("event=audit_write_failed error=\"%s\"",
			 strerror(errno));
}

void
verify_audit_write(struct verify_audit *a, const char *id, const json_t *answer,
		   const char *error)
{
	const json_t *signers = json_object_get(answer, "signers");
	char line[AUDIT_LINE + 32], e[512];
	size_t len = 0, i, omitted = 0;

	if (a == NULL)
		return;
	add(line, &len, "event=verify_audit request_id=%s", id);
	if (answer == NULL) {
		add(line, &len, " verdict=error error=\"%s\"",
		    log_escape_str(error, e, sizeof(e)));
	} else {
		add(line, &len, " verdict=%s signers=%zu",
		    esc(answer, "verdict", e, sizeof(e)),
		    json_array_size(signers));
		for (i = 0; i < json_array_size(signers); i++)
			omitted += !add_signer(line, &len, i,
					       json_array_get(signers, i));
		/* (The line has room past AUDIT_LINE for this.) */
		if (omitted > 0)
			snprintf(line + len, sizeof(line) - len,
				 " signers_omitted=%zu", omitted);
	}
	if (a->fd < 0)
		log_info("%s", line);
	else
		append(a->fd, line);
}
