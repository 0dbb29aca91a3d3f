/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyident.h: what tells one code object from another that later lives at
 * the same address. Shared by the BPF unwinder (bpf/pystack.bpf.h), which
 * puts it in every captured frame and in the stack's hash, and the
 * symboliser (user/python/symbolize.c), which recomputes it from the target's
 * memory before trusting a cached or freshly read name.
 *
 * Code objects are freed and their memory reused all the time (exec,
 * compile, lambdas in reloaded modules, template engines): pymalloc hands a
 * freed block of a size class to the next object of that class, so a new
 * code object of the same shape gets the old one's address, and its name
 * and file name strings often get the old ones' too. Pointers alone cannot
 * tell them apart; the name's text can. The identity folds:
 *  - co_firstlineno;
 *  - the three words at co_filename: co_filename, co_name and co_qualname
 *    (3.11+) or co_filename, co_name and co_lnotab/co_linetable (<= 3.10),
 *    all fixed for the object's life;
 *  - the length of the name (co_qualname 3.11+, else co_name) and, if it is
 *    a compact ASCII string, its first 32 characters (bytes past its end are
 *    masked: they belong to whatever follows it in memory).
 * The string's hash, state and cached UTF-8 fields change over its life and
 * are left out. Two code objects at one address with equal identities have
 * the same first line, file and name: they are reported as one.
 */
#ifndef PYLEAK_PYIDENT_H
#define PYLEAK_PYIDENT_H

#ifndef __BPF__
#include <linux/types.h>
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#endif

/* Words read from the name string, from its offset 16 (ob_size/length) on:
 * [0] length, [1] hash, [2] state, then the data (ASCII data starts at word
 * 3 on 3.12+, word 4 before), 4 words of it. */
#define PYIDENT_STR_WORDS 8
#define PYIDENT_STR_OFF 16
#define PYIDENT_DATA_WORDS 4
/* PyASCIIObject.state: compact and ascii bits (cpython/unicodeobject.h) */
#define PYIDENT_STATE_COMPACT_ASCII 0x60

static __always_inline __u64 pyident_mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

/*
 * pyident_code() - the identity of a code object, never 0.
 * @firstlineno: co_firstlineno
 * @ptrs:        the three words at co_filename
 * @str:         PYIDENT_STR_WORDS words of the name from PYIDENT_STR_OFF on,
 *               or NULL when they could not be read
 * @data_word:   index in str of the first data word (3 or 4)
 */
static __always_inline __u32 pyident_code(__u32 firstlineno, const __u64 *ptrs, const __u64 *str,
					  __u32 data_word)
{
	__u64 h = pyident_mix(0x84222325cbf29ce4ULL, firstlineno);
	__u64 len;
	int w;

	h = pyident_mix(h, ptrs[0]);
	h = pyident_mix(h, ptrs[1]);
	h = pyident_mix(h, ptrs[2]);
	if (str) {
		len = str[0];
		h = pyident_mix(h, len);
		if ((str[2] & PYIDENT_STATE_COMPACT_ASCII) == PYIDENT_STATE_COMPACT_ASCII) {
			for (w = 0; w < PYIDENT_DATA_WORDS; w++) {
				__u64 word = str[(data_word + w) & (PYIDENT_STR_WORDS - 1)];
				__u64 have = len > 8 * (__u64)w ? len - 8 * (__u64)w : 0;

				if (have < 8)
					word &= (1ULL << (8 * have)) - 1;
				h = pyident_mix(h, word);
			}
		}
	}
	h ^= h >> 32;
	return (__u32)h ?: 1;
}

#endif /* PYLEAK_PYIDENT_H */
