// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* winsched.c: see winsched.h. */
#include "winsched.h"

int winsched_grant(struct winsched_cand *c, int n, int max_open)
{
	int room = max_open, granted = 0;

	for (int i = 0; i < n; i++) {
		c[i].granted = false;
		room -= c[i].open;
	}
	/* a selection, room times over: n is at most --max-targets and room
	 * is small (the limit), so no sort and no allocation */
	while (room > 0) {
		int best = -1;

		for (int i = 0; i < n; i++)
			if (c[i].wants && !c[i].open && !c[i].granted &&
			    (best < 0 || c[i].growth > c[best].growth))
				best = i;
		if (best < 0)
			break;
		c[best].granted = true;
		granted++;
		room--;
	}
	return granted;
}
