// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_http_metrics.c: --listen's address parsing (http_parse_listen()) and
 * a bind error naming its cause; serving is covered end to end
 * (tests/e2e/test_http_metrics.py). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "http_metrics.h"

static void parse_ok(const char *s, int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char err[256] = "", shown[INET6_ADDRSTRLEN];

	assert_int_equal(http_parse_listen(s, &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, family);
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		assert_int_equal(len, sizeof(*a));
		assert_int_equal(ntohs(a->sin_port), port);
		inet_ntop(AF_INET, &a->sin_addr, shown, sizeof(shown));
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		assert_int_equal(len, sizeof(*a));
		assert_int_equal(ntohs(a->sin6_port), port);
		inet_ntop(AF_INET6, &a->sin6_addr, shown, sizeof(shown));
	}
	assert_string_equal(shown, addr);
}

static void parse_bad(const char *s, const char *why)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char err[256] = "";

	assert_int_equal(http_parse_listen(s, &ss, &len, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fail_msg("'%s': error '%s' does not say '%s'", s, err, why);
}

static void test_parse_forms(void **state)
{
	parse_ok("127.0.0.1:9435", AF_INET, "127.0.0.1", 9435);
	parse_ok("0.0.0.0:0", AF_INET, "0.0.0.0", 0);
	parse_ok("[::1]:9435", AF_INET6, "::1", 9435);
	parse_ok("[::]:65535", AF_INET6, "::", 65535);
	parse_ok("[fe80::1:2]:80", AF_INET6, "fe80::1:2", 80);
}

static void test_parse_errors(void **state)
{
	parse_bad("9435", "not ADDR:PORT");
	parse_bad("::1:9435", "not ADDR:PORT"); /* IPv6 needs brackets */
	parse_bad("[::1]9435", "[ADDR]:PORT");
	parse_bad("[::1", "[ADDR]:PORT");
	parse_bad("127.0.0.1:", "port must be a number");
	parse_bad("127.0.0.1:65536", "port must be a number");
	parse_bad("127.0.0.1:-1", "port must be a number");
	parse_bad("127.0.0.1:+80", "port must be a number");
	parse_bad("127.0.0.1:80x", "port must be a number");
	parse_bad(":9435", "address is missing");
	parse_bad("[]:9435", "address is missing");
	parse_bad("localhost:9435", "not a numeric IPv4 address");
	parse_bad("[127.0.0.1]:9435", "not a numeric IPv6 address");
	parse_bad("1.2.3.4.5:80", "not a numeric IPv4 address");
}

/* a port in use is a start error naming the cause, not a silent no-server */
static void test_bind_in_use(void **state)
{
	struct http_metrics *a = NULL, *b = NULL;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char addr[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(sa.sin_port));
	assert_int_equal(http_metrics_start(&b, addr, 30), -EADDRINUSE);
	assert_null(b);
	close(fd);
	assert_int_equal(http_metrics_start(&a, addr, 30), 0);
	assert_non_null(a);
	http_metrics_stop(a);
}

/* status() - the status code of "METHOD PATH" on 127.0.0.1:port (a test
 * client: one HTTP/1.0 request, the status line read back). */
static int status(int port, const char *method, const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char req[128], buf[64] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0), code = -1;
	ssize_t n;

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\n\r\n", method, path);
	assert_int_equal(write(fd, req, (size_t)n), n);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 12);
	sscanf(buf, "HTTP/1.%*d %d", &code);
	close(fd);
	return code;
}

/* /healthz follows the heartbeat: 503 once it is older than the stale
 * time, 200 again after a beat; the routes answer 404/405 */
static void test_healthz_and_routes(void **state)
{
	struct http_metrics *h = NULL;
	char addr[64];
	int port = 0;

	/* a free port: bind 0, read it back, release it */
	{
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(sa);
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
		port = ntohs(sa.sin_port);
		close(fd);
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	assert_int_equal(http_metrics_start(&h, addr, 0.3), 0);
	assert_int_equal(status(port, "GET", "/healthz"), 200);
	assert_int_equal(status(port, "GET", "/metrics"), 200);
	assert_int_equal(status(port, "HEAD", "/metrics"), 200);
	assert_int_equal(status(port, "GET", "/"), 404);
	assert_int_equal(status(port, "POST", "/metrics"), 405);
	assert_int_equal(status(port, "DELETE", "/healthz"), 405);
	usleep(500 * 1000);
	assert_int_equal(status(port, "GET", "/healthz"), 503);
	assert_int_equal(status(port, "GET", "/metrics"), 200); /* still served */
	http_metrics_beat(h);
	assert_int_equal(status(port, "GET", "/healthz"), 200);
	http_metrics_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_bind_in_use),
		cmocka_unit_test(test_healthz_and_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
