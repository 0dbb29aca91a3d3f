/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_service.c: unit tests for user/judge/service.c, --group-by-service's key.
 * Real-looking command lines (gunicorn, Celery, uvicorn, Django's
 * runserver, a Kubernetes-style worker with a uuid, pyenv interpreters) in
 * /proc/PID/cmdline form (NUL-separated): workers of one service must share
 * a shape, different programs must not; control bytes, a trailing NUL and a
 * short buffer are handled; the key id is stable and covers what it should;
 * this process's own key can be read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "service.h"

/* shape() - service_shape() of a literal with its NULs (sizeof - 1: the
 * literal's own terminator is the cmdline's trailing NUL). */
#define shape(lit) shape_of(lit, sizeof(lit) - 1)
static const char *shape_of(const char *cmd, size_t len)
{
	static char out[4][SERVICE_SHAPE_MAX]; /* two in one expression stay apart */
	static int k;

	k = (k + 1) % 4;
	service_shape(cmd, len, out[k], sizeof(out[k]));
	return out[k];
}

static void test_shapes(void **state)
{
	static const struct {
		const char *cmd;
		size_t len;
		const char *want;
	} t[] = {
#define C(lit, want) { lit, sizeof(lit) - 1, want }
		C("celery\0-A\0proj\0worker\0-n\0w1@host-3\0--concurrency=4\0",
		  "celery -A proj worker -n w<n>@host-<n> --concurrency=<n>"),
		C("/usr/bin/python3.11\0/srv/app/gunicorn\0app:wsgi\0-b\0" "127.0.0.1:8001\0",
		  "/usr/bin/python<n>.<n> /srv/app/gunicorn app:wsgi -b <n>.<n>.<n>.<n>:<n>"),
		C("python\0manage.py\0runserver\0[::]:8000\0", "python manage.py runserver [::]:<n>"),
		C("python\0worker.py\0--id\0" "0b7e6b1a-4d2f-4c1e-9f3a-8e2d7c6b5a49\0",
		  "python worker.py --id <hex>-<hex>-<hex>-<hex>-<hex>"),
		C("python\0job.py\0--run\0deadbeefcafe1234\0", "python job.py --run <hex>"),
		/* words with no digit stay (a hex-looking word is a word): "beef", "cafe" */
		C("python\0cafe.py\0beef\0", "python cafe.py beef"),
		/* control bytes do not reach a label; no trailing NUL is fine */
		C("python\0a\tb\x7f", "python a?b?"),
		C("", ""),
#undef C
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(shape_of(t[i].cmd, t[i].len), t[i].want);
	/* workers differing by numbers, ports, hosts' ids: one shape */
	assert_string_equal(shape("uvicorn\0app:main\0--port\0" "8001\0--workers\0" "4\0"),
			    shape("uvicorn\0app:main\0--port\0" "8002\0--workers\0" "4\0"));
	assert_string_equal(shape("leaky.py\0" "30\0--worker\0" "1\0"),
			    shape("leaky.py\0" "30\0--worker\0" "2\0"));
	/* different programs, or different roles: different shapes */
	assert_string_not_equal(shape("celery\0worker\0"), shape("celery\0beat\0"));
	assert_string_not_equal(shape("python\0a.py\0"), shape("python\0b.py\0"));
}

static void test_short_buffer(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'x', sizeof(out));
	service_shape("python\0" "12345\0", 13, out, sizeof(out));
	assert_string_equal(out, "python "); /* cut, terminated */
	service_shape("python\0", 7, out, 1);
	assert_string_equal(out, "");
	service_shape("abc 123", 7, out, 6);
	assert_string_equal(out, "abc <"); /* a placeholder may be cut too */
}

static void test_key_id(void **state)
{
	struct service_key a = { .dev = 1, .ino = 2, .shape = "python w<n>.py",
				 .exe = "/usr/bin/python3" }, b = a;

	(void)state;
	assert_int_equal(service_key_id(&a), service_key_id(&b));
	snprintf(b.exe, sizeof(b.exe), "/proc/self/root/usr/bin/python3");
	assert_int_equal(service_key_id(&a), service_key_id(&b)); /* exe: for people only */
	assert_true(service_key_same(&a, &b));
	b.ino = 3;
	assert_int_not_equal(service_key_id(&a), service_key_id(&b));
	assert_false(service_key_same(&a, &b));
	b = a;
	snprintf(b.container_id, sizeof(b.container_id), "%064d", 7);
	assert_int_not_equal(service_key_id(&a), service_key_id(&b));
	assert_false(service_key_same(&a, &b));
	b = a;
	snprintf(b.shape, sizeof(b.shape), "python w<n>.py x");
	assert_int_not_equal(service_key_id(&a), service_key_id(&b));
	/* fixed: FNV-1a, the same in every run and build */
	assert_int_equal(service_key_id(&a), service_key_id(&a));
}

static void test_read_self(void **state)
{
	struct service_key k;

	(void)state;
	assert_int_equal(service_key_read(getpid(), &k), 0);
	assert_true(k.ino != 0);
	assert_non_null(strstr(k.shape, "test_service"));
	assert_int_equal(k.id, service_key_id(&k));
	assert_int_equal(service_key_read(0x3fffffff, &k), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_read_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
