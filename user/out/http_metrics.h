/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * http_metrics.h: --listen ADDR:PORT, the profiler's own metrics endpoint.
 * libmicrohttpd (Debian's libmicrohttpd12) serves, from its own thread:
 *   /metrics  the exposition --prom-file would hold (the latest report's,
 *             rendered on the main loop and published here as text)
 *   /healthz  200 while the main loop has ticked within the stale time,
 *             503 when it is stuck (a heartbeat the loop updates each tick)
 * 404 for any other path, 405 for methods other than GET and HEAD.
 * README "Metrics endpoint: --listen".
 */
#ifndef PYLEAK_HTTP_METRICS_H
#define PYLEAK_HTTP_METRICS_H

#include <stddef.h>
#include <sys/socket.h>

#define HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct http_metrics;

/*
 * http_parse_listen() - s as a numeric listen address: "A.B.C.D:PORT" or
 * "[IPv6]:PORT", PORT 0..65535 (0: the kernel picks one, logged at start).
 * Host names are refused (no resolver at startup). Returns 0 with *ss and
 * *len set, or -EINVAL with a reason in err.
 */
int http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		      char *err, size_t errlen);

/*
 * http_metrics_start() - bind addr (already valid for http_parse_listen())
 * and start serving; /healthz turns 503 once no heartbeat came for stale_s
 * seconds. Logs a clear error naming the address on failure. Returns 0 with
 * *out set, or -errno.
 */
int http_metrics_start(struct http_metrics **out, const char *addr, double stale_s);

/* http_metrics_publish() - serve text[0..len) on /metrics from now on (it
 * is copied). Called by the main loop after each report. */
int http_metrics_publish(struct http_metrics *h, const char *text, size_t len);

/* http_metrics_beat() - the main loop is alive (each tick). */
void http_metrics_beat(struct http_metrics *h);

/* http_metrics_stop() - stop the server thread and free h (NULL: no-op). */
void http_metrics_stop(struct http_metrics *h);

#endif /* PYLEAK_HTTP_METRICS_H */
