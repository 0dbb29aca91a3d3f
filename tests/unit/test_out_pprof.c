/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_out_pprof.c: unit tests for the pprof exporter (user/out/out_pprof.c).
 * The output is gunzipped with zlib and decoded with protobuf-c (the same
 * generated profile.proto code), then checked as a pprof reader sees it:
 * string table, sample types, leaf-first locations with the native caller
 * as its own frame, shared frames deduplicated, labels, valid UTF-8.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "profile.pb-c.h"
#include "report_fixture.h"
#include "textsafe.h"

typedef Perftools__Profiles__Profile Profile;

/* decode() - out_pprof_write(r), gunzipped and unpacked. */
static Profile *decode(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0, cap = 1 << 20;
	FILE *f = open_memstream(&buf, &len);
	uint8_t *raw = malloc(cap);
	z_stream z = { 0 };
	Profile *p;

	assert_non_null(f);
	assert_non_null(raw);
	assert_int_equal(out_pprof_write(f, r), 0);
	assert_int_equal(fclose(f), 0);
	/* gzip magic, as the format requires on disk */
	assert_true(len > 18 && (uint8_t)buf[0] == 0x1f && (uint8_t)buf[1] == 0x8b);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)buf;
	z.avail_in = len;
	z.next_out = raw;
	z.avail_out = cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	p = perftools__profiles__profile__unpack(NULL, z.total_out, raw);
	inflateEnd(&z);
	free(raw);
	free(buf);
	assert_non_null(p);
	return p;
}

static const char *str(const Profile *p, int64_t i)
{
	assert_true(i >= 0 && (size_t)i < p->n_string_table);
	return p->string_table[i];
}

static const Perftools__Profiles__Location *loc(const Profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_location; i++)
		if (p->location[i]->id == id)
			return p->location[i];
	fail_msg("no location %llu", (unsigned long long)id);
	return NULL;
}

static const Perftools__Profiles__Function *fn(const Profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_function; i++)
		if (p->function[i]->id == id)
			return p->function[i];
	fail_msg("no function %llu", (unsigned long long)id);
	return NULL;
}

/* frame() - function name, file and line of location id (one Line each). */
static void frame(const Profile *p, uint64_t id, const char *name, const char *file, int line)
{
	const Perftools__Profiles__Location *l = loc(p, id);
	const Perftools__Profiles__Function *f;

	assert_int_equal(l->n_line, 1);
	f = fn(p, l->line[0]->function_id);
	assert_string_equal(str(p, f->name), name);
	assert_string_equal(str(p, f->filename), file);
	assert_int_equal(l->line[0]->line, line);
}

static void test_profile(void **state)
{
	struct fixture fx;
	struct report *r = fixture_report(&fx);
	Profile *p;

	p = decode(r);
	assert_string_equal(p->string_table[0], "");
	assert_int_equal(p->n_sample_type, 3); /* growth mode: with the rate */
	assert_string_equal(str(p, p->sample_type[0]->type), "live_objects");
	assert_string_equal(str(p, p->sample_type[0]->unit), "count");
	assert_string_equal(str(p, p->sample_type[1]->type), "live_space");
	assert_string_equal(str(p, p->sample_type[1]->unit), "bytes");
	assert_string_equal(str(p, p->sample_type[2]->type), "growth_per_minute");
	assert_string_equal(str(p, p->default_sample_type), "live_space");
	assert_true(p->time_nanos == 1795999540250000000LL);

	assert_int_equal(p->n_sample, 2);
	/* the leak: native caller is the leaf, then Python innermost first */
	const Perftools__Profiles__Sample *s = p->sample[0];

	assert_int_equal(s->n_location_id, 3);
	frame(p, s->location_id[0], "list_repeat+0x1b0 (libpython3.11.so.1.0)", "[native]", 0);
	frame(p, s->location_id[1], "grow", "/srv/app/leak.py", 12);
	frame(p, s->location_id[2], "main", "/srv/app/main.py", 40);
	assert_int_equal(s->n_value, 3);
	assert_int_equal(s->value[0], 1000);
	assert_int_equal(s->value[1], 1048576);
	assert_int_equal(s->value[2], (int64_t)(2048.25 * 60));
	assert_int_equal(s->n_label, 2);
	assert_string_equal(str(p, s->label[0]->key), "pid");
	assert_int_equal(s->label[0]->num, 1234);
	assert_string_equal(str(p, s->label[1]->key), "site_id");
	assert_string_equal(str(p, s->label[1]->str), "0123456789abcdef");

	/* the second site has no native caller; its outer frame is shared */
	s = p->sample[1];
	assert_int_equal(s->n_location_id, 2);
	frame(p, s->location_id[0], "Cache.put", "/srv/app/cache.py", 7);
	assert_int_equal(s->location_id[1], p->sample[0]->location_id[2]);
	assert_int_equal(p->n_location, 4);
	assert_int_equal(p->n_function, 4);
	/* every location is in the one mapping, which says it is symbolised */
	assert_int_equal(p->n_mapping, 1);
	assert_true(p->mapping[0]->has_functions);
	for (size_t i = 0; i < p->n_location; i++)
		assert_int_equal(p->location[i]->mapping_id, p->mapping[0]->id);
	perftools__profiles__profile__free_unpacked(p, NULL);

	/* alloc mode: live objects and bytes only */
	r->h.growth = NULL;
	p = decode(r);
	assert_int_equal(p->n_sample_type, 2);
	assert_int_equal(p->sample[0]->n_value, 2);
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static bool valid_utf8(const char *s)
{
	for (; *s; s++) {
		int n = utf8_seq(s);

		if (n < 0 || (n == 1 && ((unsigned char)*s < 0x20 || *s == 0x7f)))
			return false;
		s += n - 1;
	}
	return true;
}

static void test_hostile_names(void **state)
{
	static const struct report_frame nasty[] = {
		{ "/srv/q\"uo\\te;\n<script>\xff\xfe/x.py", "<lambda>\"\\\n;\xed\xa0\x80", 5, 4 },
	};
	struct fixture fx;
	struct report *r = fixture_report(&fx);
	Profile *p;

	r->h.comm = "p\xff\n";
	fx.sites[0].frames = nasty;
	fx.sites[0].nframes = 1;
	p = decode(r);
	for (size_t i = 0; i < p->n_string_table; i++)
		if (!valid_utf8(p->string_table[i]))
			fail_msg("string %zu is not clean UTF-8: %s", i, p->string_table[i]);
	frame(p, p->sample[0]->location_id[1],
	      "<lambda>\"\\\xef\xbf\xbd;\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	      "/srv/q\"uo\\te;\xef\xbf\xbd<script>\xef\xbf\xbd\xef\xbf\xbd/x.py", 5);
	assert_int_equal(fn(p, loc(p, p->sample[0]->location_id[1])->line[0]->function_id)->start_line, 4);
	perftools__profiles__profile__free_unpacked(p, NULL);
}

/* The container labels: string labels on every sample after pid and
 * site_id, in identity_labels() order, only the known ones. */
static void test_identity_labels(void **state)
{
	static const char *const want[][2] = {
		{ "container_id", FX_CID }, { "pod_uid", FX_POD_UID }, { "namespace", "shop" },
		{ "pod", "web-7d9f" },	    { "container", "app" },	{ "qos", "burstable" },
		{ "runtime", "containerd" },
	};
	struct fixture fx;
	struct proc_identity id;
	struct report *r = fixture_report(&fx);
	Profile *p;

	r->h.identity = fixture_identity(&id);
	p = decode(r);
	assert_int_equal(p->n_sample, 2);
	for (size_t k = 0; k < p->n_sample; k++) {
		const Perftools__Profiles__Sample *s = p->sample[k];

		assert_int_equal(s->n_label, 2 + 7);
		assert_string_equal(str(p, s->label[0]->key), "pid");
		assert_string_equal(str(p, s->label[1]->key), "site_id");
		for (int i = 0; i < 7; i++) {
			assert_string_equal(str(p, s->label[2 + i]->key), want[i][0]);
			assert_string_equal(str(p, s->label[2 + i]->str), want[i][1]);
		}
	}
	perftools__profiles__profile__free_unpacked(p, NULL);
	memset(&id, 0, sizeof(id));
	strcpy(id.unit, "cron.service");
	p = decode(r);
	assert_int_equal(p->sample[0]->n_label, 3);
	assert_string_equal(str(p, p->sample[0]->label[2]->key), "unit");
	assert_string_equal(str(p, p->sample[0]->label[2]->str), "cron.service");
	perftools__profiles__profile__free_unpacked(p, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_identity_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
