// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * out_live.c: the live terminal view. When the reports go to a terminal
 * nobody wants a scrolling wall of tables: like top(1), each report is drawn
 * over the previous one, cut to the window, with a RECENT column of
 * sparklines showing how each site's bytes moved lately. The content is the
 * text report's (out_text.c), so both views always agree.
 *
 * Drawing: cursor home, then each line cut to the width and followed by
 * "erase to end of line", then "erase below". No full clear between frames,
 * so the screen does not flicker; no alternate screen, so the last report
 * stays on the terminal after exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "report.h"

#define HOME "\033[H"
#define ERASE_EOL "\033[K"
#define ERASE_BELOW "\033[J"

/* put_clipped() - the line p[0..len) cut to at most cols display columns.
 * A column per character: UTF-8 continuation bytes take none. (Wide CJK
 * characters take two on screen; in a name they may push the line's end
 * past the edge, which the terminal then hides, as top does.) */
static void put_clipped(FILE *f, const char *p, size_t len, int cols)
{
	int used = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		bool cont = ((unsigned char)p[i] & 0xc0) == 0x80;

		if (!cont && used++ >= cols)
			break;
	}
	fwrite(p, 1, i, f);
}

int out_live_write(FILE *f, const struct report *r, int rows, int cols)
{
	struct report lr = *r;
	char *buf = NULL;
	size_t len = 0, nlines = 0, room;
	FILE *m;
	int err;

	/* The last row stays empty: writing into it would scroll the screen. */
	rows = rows > 3 ? rows - 1 : 2;
	/* The last column too: a character there leaves the cursor pending a
	 * wrap, which terminals resolve differently on the next erase. */
	cols = cols > 11 ? cols - 1 : 10;
	lr.sparklines = true;
	m = open_memstream(&buf, &len);
	if (!m)
		return -errno;
	err = out_text_write(m, &lr);
	if (fclose(m) && !err)
		err = -EIO;
	if (err) {
		free(buf);
		return err;
	}
	/* the text report ends in a blank separator line: not needed here */
	while (len && buf[len - 1] == '\n')
		len--;
	for (size_t i = 0; i < len; i++)
		nlines += buf[i] == '\n';
	nlines++;
	room = nlines > (size_t)rows ? (size_t)rows - 1 : nlines;

	errno = 0;
	fputs(HOME, f);
	const char *p = buf, *end = buf + len;

	for (size_t i = 0; i < room; i++) {
		const char *nl = memchr(p, '\n', end - p);
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		put_clipped(f, p, l, cols);
		fputs(ERASE_EOL "\n", f);
		p += l + (nl != NULL);
	}
	if (room < nlines) {
		char more[96];

		snprintf(more, sizeof(more), "  ... %zu more lines: enlarge the terminal, or use "
			 "--output FILE for whole reports", nlines - room);
		put_clipped(f, more, strlen(more), cols);
		fputs(ERASE_EOL "\n", f);
	}
	fputs(ERASE_BELOW, f);
	free(buf);
	if (fflush(f) == EOF || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

int out_live_size(int fd, int *rows, int *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (ioctl(fd, TIOCGWINSZ, &ws))
		return -errno;
	if (ws.ws_row)
		*rows = ws.ws_row;
	if (ws.ws_col)
		*cols = ws.ws_col;
	return 0;
}
