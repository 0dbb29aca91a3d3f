/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_svcmerge.c: unit tests for user/judge/svcmerge.c. Two or three member
 * reports, built here as the sessions build them: rows with the same site
 * id merge (sums, member counts, ranking, --top cut); a site alert is
 * raised once for the service when the first member raises it, stays while
 * any member holds it, and resolves when the last member resolves or
 * leaves; a member's report replaces its previous rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "svcmerge.h"

static const struct report_frame LEAK = { "app.py", "leak", 21, 19 };
static const struct report_frame OTHER = { "app.py", "churn", 14, 12 };

static struct report_site site(uint64_t id, int64_t bytes, double rate)
{
	return (struct report_site){ .id = id, .bytes = bytes, .count = bytes / 64,
				     .rate_bps = rate, .nframes = 1, .alert = true,
				     .frames = id == 1 ? &LEAK : &OTHER };
}

static struct report_alert alert(const char *state, uint64_t id)
{
	return (struct report_alert){ .state = state, .subject = "site", .id = id,
				      .nframes = 1, .frames = id == 1 ? &LEAK : &OTHER };
}

/* take() - pid reports rows s[ns] and transitions a[na]. */
static void take(struct svc_group *g, int pid, const struct report_site *s, int ns,
		 const struct report_alert *a, int na)
{
	struct report r = { .h.pid = pid, .nsites = ns, .sites = s, .nalerts = na, .alerts = a };

	assert_int_equal(svc_take(g, &r), 0);
}

static void test_rows_merge(void **state)
{
	struct svc_group g = {};
	struct report_site a[] = { site(1, 1000, 10), site(2, 5000, 0) };
	struct report_site b[] = { site(1, 7000, 30) };

	(void)state;
	take(&g, 100, a, 2, NULL, 0);
	assert_int_equal(g.nfresh, 1);
	take(&g, 100, a, 2, NULL, 0); /* again: still one member fresh */
	assert_int_equal(g.nfresh, 1);
	take(&g, 200, b, 1, NULL, 0);
	assert_int_equal(g.nfresh, 2);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_int_equal(g.nfresh, 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.nmerged, 2);
	assert_int_equal(g.merged[0].id, 1); /* 8000 bytes together: first */
	assert_int_equal(g.merged[0].bytes, 8000);
	assert_int_equal(g.merged[0].count, 1000 / 64 + 7000 / 64);
	assert_true(g.merged[0].rate_bps == 40);
	assert_int_equal(g.merged[0].nmembers, 2);
	assert_string_equal(g.merged[0].top.func, "leak");
	assert_int_equal(g.merged[1].id, 2);
	assert_int_equal(g.merged[1].nmembers, 1);
	assert_int_equal(g.ntrans, 0);
	/* a member's new report replaces its rows */
	b[0] = site(1, 9000, 30);
	take(&g, 200, b, 1, NULL, 0);
	assert_int_equal(svc_judge(&g, 1), 0); /* cut to --top */
	assert_int_equal(g.nmerged, 1);
	assert_int_equal(g.merged[0].bytes, 10000);
	take(&g, 100, a, 2, NULL, 0);
	assert_int_equal(g.nfresh, 1);
	svc_leave(&g, 100); /* a fresh member leaves: not counted */
	assert_int_equal(g.nfresh, 0);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_int_equal(g.nmerged, 1);
	assert_int_equal(g.merged[0].bytes, 9000);
	svc_free(&g);
	assert_int_equal(g.n, 0);
}

static void test_one_alert_per_site(void **state)
{
	struct svc_group g = {};
	struct report_site s[] = { site(1, 1000, 10) };
	struct report_alert up = alert("leak_suspect", 1), down = alert("resolved", 1);

	(void)state;
	/* the first member raises: the service raises, once */
	take(&g, 100, s, 1, &up, 1);
	take(&g, 200, s, 1, NULL, 0);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_int_equal(g.ntrans, 1);
	assert_string_equal(g.trans[0].state, "leak_suspect");
	assert_int_equal(g.trans[0].site.id, 1);
	assert_int_equal(g.trans[0].nmembers, 1);
	assert_int_equal(g.nalerting, 1);
	assert_true(g.merged[0].alert);
	/* the second raises the same site: nothing new for the service */
	take(&g, 200, s, 1, &up, 1);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_int_equal(g.ntrans, 0);
	assert_int_equal(g.nalerting, 1);
	/* the first resolves: the second still holds it */
	take(&g, 100, s, 1, &down, 1);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_int_equal(g.ntrans, 0);
	assert_int_equal(g.nalerting, 1);
	/* the last resolves: resolved once */
	take(&g, 200, s, 1, &down, 1);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_int_equal(g.ntrans, 1);
	assert_string_equal(g.trans[0].state, "resolved");
	assert_string_equal(g.trans[0].site.top.func, "leak");
	assert_int_equal(g.nalerting, 0);
	assert_false(g.merged[0].alert);
	svc_free(&g);
}

static void test_leaving_member_resolves(void **state)
{
	struct svc_group g = {};
	struct report_site s[] = { site(1, 1000, 10), site(2, 10, 0) };
	struct report_alert a[] = { alert("leak_suspect", 1), alert("leak_suspect", 2),
				    { .state = "leak_suspect", .subject = "process" } };

	(void)state;
	take(&g, 100, s, 2, a, 3); /* the process alert is not a site's */
	take(&g, 300, s, 1, a, 1);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_int_equal(g.ntrans, 2);
	assert_int_equal(g.nalerting, 2);
	svc_leave(&g, 100); /* held site 2 alone */
	svc_leave(&g, 999); /* unknown: ignored */
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_int_equal(g.ntrans, 1);
	assert_string_equal(g.trans[0].state, "resolved");
	assert_int_equal(g.trans[0].site.id, 2);
	assert_int_equal(g.nalerting, 1);
	/* no transition, but its row says the alert is off (an exec): resolved */
	s[0].alert = false;
	take(&g, 300, s, 1, NULL, 0);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_int_equal(g.ntrans, 1);
	assert_int_equal(g.trans[0].site.id, 1);
	assert_string_equal(g.trans[0].state, "resolved");
	svc_leave(&g, 300);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_int_equal(g.ntrans, 0);
	assert_int_equal(g.nalerting, 0);
	assert_int_equal(g.nmerged, 0);
	svc_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_merge),
		cmocka_unit_test(test_one_alert_per_site),
		cmocka_unit_test(test_leaving_member_resolves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
