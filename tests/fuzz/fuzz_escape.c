/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_escape.c: libFuzzer harness for every output escaper: the terminal
 * escaper esc_put() (user/out/escape.c), utf8_clean() (user/out/textsafe.c),
 * Prometheus label values prom_label_value(), and the whole report in each
 * text format (text, JSON lines, folded stacks, Prometheus) with
 * fuzzer-chosen file, function, command, caller, version and container
 * label strings: the report model of tests/unit/report_fixture.h with its
 * strings replaced.
 *
 * Input: strings separated by NUL bytes (the first few used in turn).
 * Properties checked on every output (abort otherwise):
 *  - esc_put: no byte below 0x20, no DEL, no UTF-8 C1 control (c2 80..9f);
 *  - utf8_clean: valid UTF-8 (utf8_seq() > 0 throughout), no control byte,
 *    within its capacity;
 *  - prom_label_value: one quoted string, only \\ \" \n escapes, no raw
 *    newline, valid UTF-8;
 *  - text report: no byte below 0x20 but newline, no DEL;
 *  - JSON: every line parses (jansson) as an object, no raw control byte;
 *  - folded: one line per site, each "frames count" with a number last;
 *  - Prometheus: every line a comment or name{label="..."...} value.
 * Seeds: names from real code (unicode, paths) and known troublemakers
 * (escape sequences, invalid UTF-8, quotes, backslashes, newlines).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "escape.h"
#include "out_prom.h"
#include "report.h"
#include "report_fixture.h"
#include "textsafe.h"

#define NSTR 6

/* A writer's output in memory: mem_open(), write to m.f, mem_close(), then
 * m.buf (NUL-terminated, m.len bytes; free it). */
struct memout {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *mem_open(struct memout *m)
{
	m->buf = NULL;
	m->f = open_memstream(&m->buf, &m->len);
	if (!m->f)
		abort();
	return m->f;
}

static char *mem_close(struct memout *m)
{
	if (fclose(m->f) || !m->buf)
		abort();
	return m->buf;
}

/* check_c0() - no C0 control (but newline if allow_nl); for a terminal
 * (term) no DEL or UTF-8 C1 control either. JSON may carry those raw. */
static void check_c0(const char *s, size_t len, bool allow_nl, bool term)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(allow_nl && c == '\n')) || (term && c == 0x7f) ||
		    (term && c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
		     (unsigned char)s[i + 1] <= 0x9f)) {
			fprintf(stderr, "control byte 0x%02x at %zu in: %.*s\n", c, i, (int)len, s);
			abort();
		}
	}
}

static void check_utf8(const char *s, size_t len)
{
	if (strlen(s) != len)
		abort();
	for (size_t i = 0; i < len;) {
		int n = utf8_seq(s + i);

		if (n <= 0)
			abort();
		i += (size_t)n;
	}
}

/* prom_quoted() - p points at a quoted label value: returns the byte
 * after its closing quote, or NULL if it is not well-formed. */
static const char *prom_quoted(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if (*p == '\n')
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p != '\\' && *p != '"' && *p != 'n')
				return NULL;
		}
	}
	return *p == '"' ? p + 1 : NULL;
}

static void check_prom_line(const char *l)
{
	if (*l == '#' || !*l)
		return;
	if (!(isalpha((unsigned char)*l) || *l == '_' || *l == ':'))
		abort();
	while (isalnum((unsigned char)*l) || *l == '_' || *l == ':')
		l++;
	if (*l == '{') {
		l++;
		while (*l != '}') {
			if (!(isalpha((unsigned char)*l) || *l == '_'))
				abort();
			while (isalnum((unsigned char)*l) || *l == '_')
				l++;
			if (*l++ != '=' || !(l = prom_quoted(l)))
				abort();
			if (*l == ',')
				l++;
			else if (*l != '}')
				abort();
		}
		l++;
	}
	if (*l++ != ' ' || !*l)
		abort();
	strtod(l, (char **)&l);
	if (*l && *l != ' ') /* value, optional timestamp */
		abort();
}

/* render() - r written by w into memory, checked for control bytes (no
 * C1 either for a terminal format); the caller frees it. */
static char *render(int (*w)(FILE *, const struct report *), const struct report *r, bool term)
{
	struct memout m;
	char *out;

	(void)w(mem_open(&m), r);
	out = mem_close(&m);
	check_c0(out, m.len, true, term);
	return out;
}

static int prom_one(FILE *f, const struct report *r)
{
	return out_prom_write(f, &r, 1, 10);
}

static void report_formats(const char *const *s)
{
	struct fixture fx;
	struct report *r = fixture_report(&fx);
	struct report_frame fr[2][2];
	struct report_site sites[2];
	struct proc_identity id = { 0 };
	char *out, *line, *save;
	int lines;

	for (int i = 0; i < 2; i++) {
		sites[i] = fx.sites[i];
		fr[i][0] = (struct report_frame){ s[2 * i], s[2 * i + 1], 12, 10 };
		fr[i][1] = (struct report_frame){ s[4], s[5], -1, 0 };
		sites[i].frames = fr[i];
	}
	sites[0].native_caller = s[3];
	r->sites = sites;
	r->h.comm = s[0];
	r->h.python_version = s[1];
	r->h.build = s[4];
	fx.incidents[0].head = fr[0][0];
	/* container labels: identity.c validates them, but a sink must not
	 * rely on that (unit is any cgroup name) */
	snprintf(id.container_id, sizeof(id.container_id), "%s", s[2]);
	snprintf(id.pod_name, sizeof(id.pod_name), "%s", s[5]);
	snprintf(id.unit, sizeof(id.unit), "%s", s[0]);
	snprintf(id.cgroup, sizeof(id.cgroup), "%s", s[1]);
	r->h.identity = &id;

	free(render(out_text_write, r, true));

	out = render(out_json_write, r, false);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &err);

		if (!j || !json_is_object(j)) {
			fprintf(stderr, "invalid JSON: %s: %s\n", err.text, line);
			abort();
		}
		json_decref(j);
	}
	free(out);

	out = render(out_folded_write, r, false);
	lines = 0;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *sp = strrchr(line, ' ');

		if (!sp || !sp[1] || strspn(sp + 1, "0123456789") != strlen(sp + 1))
			abort();
		lines++;
	}
	if (lines > r->nsites)
		abort();
	free(out);

	out = render(prom_one, r, false);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		check_prom_line(line);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *out, clean[64];
	const char *s[NSTR];
	size_t len, n = 0, cap;
	struct memout m;
	FILE *f;

	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	copy[size] = 0;
	s[n++] = copy;
	for (size_t i = 0; i < size && n < NSTR; i++)
		if (!copy[i])
			s[n++] = copy + i + 1;
	while (n < NSTR)
		s[n++] = s[0];

	f = mem_open(&m);
	esc_put(f, s[0], NULL);
	out = mem_close(&m);
	len = m.len;
	check_c0(out, len, false, true);
	free(out);

	cap = 1 + (size ? data[0] % sizeof(clean) : 0);
	len = utf8_clean(clean, cap, s[0], size > 1 ? data[1] % 16 : 0);
	if (len >= cap)
		abort();
	check_utf8(clean, len);
	check_c0(clean, len, false, false);

	f = mem_open(&m);
	prom_label_value(f, s[1]);
	out = mem_close(&m);
	len = m.len;
	if (strlen(out) != len || prom_quoted(out) != out + len)
		abort();
	check_utf8(out, len);
	free(out);

	report_formats(s);
	free(copy);
	return 0;
}
