/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_service.c: libFuzzer harness for service_shape() (user/judge/service.c),
 * which shapes a target's /proc/PID/cmdline: any bytes the target chose.
 *
 * Input: [0] the output buffer's size (0..255), then the command line's
 * bytes. Seeds: real command lines (gunicorn, Celery, uvicorn). Property:
 * no crash, no read past the input (copied to a buffer of exactly its
 * size) nor write past the output; the output is terminated within its
 * size, holds no control byte, and shaping it again (as one argument, its
 * own NUL-free text) gives it back unchanged when it was not cut.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *out, again[SERVICE_SHAPE_MAX];
	size_t outsz, n;

	if (!size)
		return 0;
	outsz = data[0];
	n = size - 1;
	in = malloc(n ? n : 1);
	out = malloc(outsz ? outsz : 1);
	if (!in || !out)
		abort();
	memcpy(in, data + 1, n);
	service_shape(in, n, out, outsz);
	if (outsz) {
		size_t len = strnlen(out, outsz);

		if (len == outsz)
			abort(); /* not terminated */
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
				abort();
		/* placeholders are words without digits: a fixed point, unless
		 * the output was cut (a cut "<n>" may leave a digit-free stub) */
		if (len + 1 < outsz && len < sizeof(again)) {
			service_shape(out, len, again, sizeof(again));
			if (strcmp(out, again))
				abort();
		}
	}
	free(in);
	free(out);
	return 0;
}
