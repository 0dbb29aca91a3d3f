/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_memcg.c: libFuzzer harness for the memory cgroup parsers of
 * user/target/memcg.c (evidence at OOM): memcg_parse_cgroup() (/proc/PID/cgroup,
 * whose paths anyone who can make a cgroup names), memcg_parse_mountinfo(),
 * memcg_parse_limit() and memcg_parse_key() (memory.max, memory.events).
 *
 * Input: [0] which parser ('c' cgroup, 'm' mountinfo, 'l' limit, 'k' key;
 * anything else: all of them), then the file's text (NUL-terminated in a
 * buffer of exactly its size, as the tool reads it). Seeds: this machine's
 * files (a hybrid v1/v2 host) and a v2 host's. Property: no crash, no read
 * past the text, paths NUL-terminated within their buffers and absolute.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memcg.h"

static void cgroup(const char *text)
{
	char path[64];
	bool v2;

	if (!memcg_parse_cgroup(text, path, sizeof(path), &v2) &&
	    (strnlen(path, sizeof(path)) == sizeof(path) || path[0] != '/'))
		abort();
}

static void mountinfo(const char *text)
{
	static const char *const paths[] = { "/", "/a", "/kubepods/pod1/abc", "/a/b/c/d/e/f/g" };
	char dir[48];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		for (int v2 = 0; v2 < 2; v2++)
			if (!memcg_parse_mountinfo(text, paths[i], v2, dir, sizeof(dir)) &&
			    strnlen(dir, sizeof(dir)) == sizeof(dir))
				abort();
}

static void files(const char *text)
{
	uint64_t v;

	(void)memcg_parse_limit(text, &v);
	(void)memcg_parse_key(text, "oom_kill", &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (!size)
		return 0;
	text = malloc(size); /* the text and its NUL: ASan sees any overread */
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	switch (data[0]) {
	case 'c':
		cgroup(text);
		break;
	case 'm':
		mountinfo(text);
		break;
	case 'l':
	case 'k':
		files(text);
		break;
	default:
		cgroup(text);
		mountinfo(text);
		files(text);
	}
	free(text);
	return 0;
}
