// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * http_metrics.c: see http_metrics.h. The HTTP protocol is libmicrohttpd's;
 * this file only binds the socket (so a bind error names its cause), routes
 * the three answers, and hands the latest exposition over between threads:
 * the main loop publishes a new copy under a mutex, MHD's thread copies it
 * into each response under the same mutex. The heartbeat is one atomic
 * timestamp.
 *
 * fork() with this thread running: the children of launch.c (setenv,
 * execvp) and allocswitch.c (calloc, opendir, ptrace, a log line) are not
 * async-signal-safe, but glibc's fork() takes and resets the malloc and
 * stdio-list locks for the child, and this thread takes no lock a child
 * uses (only h->lock and MHD's own; it never writes to stderr), so neither
 * child can inherit a lock held here. The socket is close-on-exec.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_metrics.h"
#include "log.h"

struct http_metrics {
	struct MHD_Daemon *d;
	int fd;
	pthread_mutex_t lock;
	char *text; /* under lock; NULL before the first report */
	size_t len;
	int64_t beat_ms; /* __atomic: monotonic time of the last heartbeat */
	int64_t stale_ms;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		      char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1], *end;
	const char *colon, *h = s;
	size_t hl;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') { /* [IPv6]:PORT */
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':') {
			snprintf(err, errlen, "'%s': an IPv6 address is written [ADDR]:PORT", s);
			return -EINVAL;
		}
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			snprintf(err, errlen, "'%s' is not ADDR:PORT (IPv4 A.B.C.D:PORT or [IPv6]:PORT)", s);
			return -EINVAL;
		}
		hl = (size_t)(colon - s);
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 0 || port > 65535 || colon[1] == '-' ||
	    colon[1] == '+') {
		snprintf(err, errlen, "'%s': the port must be a number from 0 to 65535", s);
		return -EINVAL;
	}
	if (!hl || hl >= sizeof(host)) {
		snprintf(err, errlen, "'%s': the address is missing or too long (0.0.0.0 or [::] for all)", s);
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (*s == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
			snprintf(err, errlen, "'%s': '%s' is not a numeric IPv6 address", s, host);
			return -EINVAL;
		}
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
			snprintf(err, errlen, "'%s': '%s' is not a numeric IPv4 address (host names are "
				 "not resolved; IPv6 goes in brackets)", s, host);
			return -EINVAL;
		}
		*len = sizeof(*a);
	}
	return 0;
}

/* respond() - queue a response of body[0..len) (copied) with status st. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned int st, const char *body,
			       size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (st == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, st, r);
	MHD_destroy_response(r);
	return ret;
}

#define TEXT "text/plain; charset=utf-8"

/* on_request() - MHD's access handler, on MHD's thread. Answers at the
 * first call: no route takes a body. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **req)
{
	struct http_metrics *h = cls;
	enum MHD_Result ret;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: GET or HEAD\n",
			       32, TEXT);
	if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&h->lock);
		ret = respond(c, MHD_HTTP_OK, h->text ? h->text : "", h->text ? h->len : 0,
			      HTTP_CONTENT_TYPE);
		pthread_mutex_unlock(&h->lock);
		return ret;
	}
	if (!strcmp(url, "/healthz")) {
		int64_t age = mono_ms() - __atomic_load_n(&h->beat_ms, __ATOMIC_RELAXED);
		char body[96];
		int n;

		if (age <= h->stale_ms) {
			n = snprintf(body, sizeof(body), "ok\n");
			return respond(c, MHD_HTTP_OK, body, (size_t)n, TEXT);
		}
		n = snprintf(body, sizeof(body), "stuck: the main loop last ran %.1f s ago\n",
			     age / 1000.0);
		return respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, body, (size_t)n, TEXT);
	}
	return respond(c, MHD_HTTP_NOT_FOUND, "not found: /metrics or /healthz\n", 32, TEXT);
}

/* bind_listen() - a listening socket on addr, or -errno (logged). */
static int bind_listen(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[256], shown[INET6_ADDRSTRLEN];
	int fd, one = 1, err;

	err = http_parse_listen(addr, &ss, &len, why, sizeof(why));
	if (err) {
		log_err("--listen %s", why);
		return err;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		log_err("--listen %s: cannot open a socket: %s", addr, strerror(errno));
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) /* [::] means IPv6 only; 0.0.0.0 is separate */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		err = -errno;
		log_err("--listen %s: cannot listen there: %s%s", addr, strerror(errno),
			err == -EADDRINUSE ? " (another process has this port)" :
			err == -EADDRNOTAVAIL ? " (no interface of this host has this address)" : "");
		close(fd);
		return err;
	}
	len = sizeof(ss);
	if (!getsockname(fd, (struct sockaddr *)&ss, &len)) {
		int port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
						    : ntohs(((struct sockaddr_in *)&ss)->sin_port);
		const void *a = ss.ss_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
							 : (void *)&((struct sockaddr_in *)&ss)->sin_addr;

		inet_ntop(ss.ss_family, a, shown, sizeof(shown));
		log_info(ss.ss_family == AF_INET6 ? "serving /metrics and /healthz on http://[%s]:%d/"
						  : "serving /metrics and /healthz on http://%s:%d/",
			 shown, port);
	}
	return fd;
}

int http_metrics_start(struct http_metrics **out, const char *addr, double stale_s)
{
	struct http_metrics *h = calloc(1, sizeof(*h));
	sigset_t all, old;
	int fd;

	if (!h)
		return -ENOMEM;
	fd = bind_listen(addr);
	if (fd < 0) {
		free(h);
		return fd;
	}
	h->fd = fd;
	h->stale_ms = (int64_t)(stale_s * 1000);
	h->beat_ms = mono_ms();
	pthread_mutex_init(&h->lock, NULL);
	/* MHD's thread inherits this mask: signals stay with the main thread,
	 * whose loop reacts to them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
				on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, 16u,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->d) {
		log_err("--listen %s: libmicrohttpd could not start", addr);
		close(fd);
		pthread_mutex_destroy(&h->lock);
		free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

int http_metrics_publish(struct http_metrics *h, const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&h->lock);
	free(h->text);
	h->text = copy;
	h->len = len;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

void http_metrics_beat(struct http_metrics *h)
{
	__atomic_store_n(&h->beat_ms, mono_ms(), __ATOMIC_RELAXED);
}

void http_metrics_stop(struct http_metrics *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d); /* closes the listening socket too */
	pthread_mutex_destroy(&h->lock);
	free(h->text);
	free(h);
}
