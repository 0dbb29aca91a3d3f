/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_proc.c: libFuzzer harness for the /proc parsers of user/target/target.c:
 * maps_parse_line() on each line, target_parse_status(), the auxv reader
 * target_auxv_random() and the PY_VERSION scan target_scan_version().
 * (There is no cgroup parser: the tool reads no cgroup file.)
 *
 * Input: [0] which parser ('m' maps, 's' status, 'a' auxv, 'v' version
 * scan; anything else: all of them), then the file's bytes. Seeds: the real
 * files of a /usr/bin/python3.11 process and 1200 bytes of its .rodata
 * around its PY_VERSION. Property: no crash, no read past the buffer (it
 * is copied to one of exactly its size), results within their contracts.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

static void maps(const char *text, size_t len)
{
	static struct maps_entry e;
	char *copy = strndup(text, len), *save = NULL;

	if (!copy)
		abort();
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!maps_parse_line(line, &e) &&
		    (strnlen(e.path, sizeof(e.path)) == sizeof(e.path) ||
		     strnlen(e.perms, sizeof(e.perms)) == sizeof(e.perms)))
			abort();
	free(copy);
}

static void status(const char *text, size_t len)
{
	struct proc_mem m;
	FILE *f = fmemopen((void *)text, len, "r");

	if (!len)
		return;
	if (!f)
		abort();
	(void)target_parse_status(f, &m);
	fclose(f);
}

static void version(const char *buf, size_t len)
{
	uint32_t hex;

	for (unsigned minor = 8; minor <= 14; minor++)
		if (!target_scan_version(buf, len, minor, &hex) &&
		    (hex >> 24 != 3 || ((hex >> 16) & 0xff) != minor))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	size_t len;
	uint64_t addr;

	if (!size)
		return 0;
	len = size - 1;
	buf = malloc(len ? len : 1); /* exactly the input: ASan sees any overread */
	if (!buf)
		abort();
	memcpy(buf, data + 1, len);
	switch (data[0]) {
	case 'm':
		maps(buf, len);
		break;
	case 's':
		status(buf, len);
		break;
	case 'a':
		(void)target_auxv_random(buf, len, &addr);
		break;
	case 'v':
		version(buf, len);
		break;
	default:
		maps(buf, len);
		status(buf, len);
		(void)target_auxv_random(buf, len, &addr);
		version(buf, len);
	}
	free(buf);
	return 0;
}
