/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * elfsym.c: symbols, segments, USDT notes and DT_NEEDED of an ELF file on
 * disk (the python executable, libpython, libc), read with libelf. The
 * interface and its contract are in elfsym.h.
 *
 * Everything is read and indexed once, in elf_open(): the symbols of .dynsym
 * and .symtab go into an array sorted by name (best candidate first within a
 * name) and the defined function symbols into one sorted by address, so both
 * lookups are binary searches (libpython's .symtab has ~20k symbols and
 * elf_symbolize() runs for thousands of return addresses). USDT probe names
 * and DT_NEEDED sonames are copied out too, and libelf is let go of before
 * elf_open() returns.
 *
 * The file is never mapped: libelf reads it (ELF_C_READ, pread into its own
 * buffers) and the few bytes asked of it later (elf_read_vaddr(), .rodata)
 * are pread from the descriptor kept open. The file belongs to whoever runs
 * the target; a mapping of it would raise SIGBUS in this process when they
 * truncate it, where a read just comes back short.
 */
#include "array.h"
#include "elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Not in every <elf.h>: the note type of a SystemTap SDT probe, and the bit of
 * a .gnu.version entry marking a non-default ("name@VER") version. */
#define STAPSDT_NOTE_TYPE 3
#define STAPSDT_OWNER "stapsdt"
#define STAPSDT_ADDRS_SIZE (3 * sizeof(uint64_t)) /* pc, base, semaphore */
#define VERSYM_HIDDEN_BIT 0x8000

#define NO_PARENT UINT32_MAX

/* Where a symbol came from; also the lookup order elfsym.h promises. */
enum sym_table {
	TABLE_DYNSYM,
	TABLE_SYMTAB,
};

struct sym {
	const char *name;   /* in ef->pool, set once the pool has stopped moving */
	uint64_t addr;	    /* st_value */
	uint64_t size;	    /* st_size */
	uint32_t name_off;  /* in ef->pool: the name without any "@VERSION" */
	uint32_t index;	    /* in its table: the last tie-break, keeps results stable */
	uint8_t table;	    /* enum sym_table */
	uint8_t bind_rank;  /* 0 GLOBAL or GNU_UNIQUE, 1 WEAK, 2 LOCAL and the rest */
	bool defined;	    /* st_shndx != SHN_UNDEF */
	bool hidden;	    /* a non-default version: loses to the default one */
	bool is_func;	    /* STT_FUNC or STT_GNU_IFUNC */
};

/* One address of ef->addrs; several function symbols at one address (aliases
 * such as malloc and __libc_malloc) share a single entry, the best-named. */
struct addr_ent {
	uint64_t start;
	uint64_t end; /* start + max(size, 1), saturated */
	const struct sym *sym;
	/* Nearest earlier entry whose range contains start, or NO_PARENT: a
	 * function can contain a zero-size entry point or a nested symbol, and
	 * an address after that one must still resolve to the enclosing
	 * function. */
	uint32_t parent;
};

struct load_seg {
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t offset;
	uint64_t filesz; /* all inside the file: checked at open */
};

struct elf_file {
	Elf *elf;		     /* while elf_open() indexes the file, then NULL */
	int fd;			     /* the file, for the bytes read later */
	uint64_t file_size;	     /* at open: bounds every segment and section */
	bool is_dyn;
	uint64_t rodata_off, rodata_size; /* .rodata in the file, 0/0 if none */
	char *rodata;		     /* its bytes, read on first elf_rodata() */
	uint64_t first_load_vaddr;
	struct load_seg *segs;	     /* the PT_LOADs, in program header order */
	size_t nsegs;
	struct sym *syms;	     /* by name, then best candidate first */
	size_t nsyms;
	struct addr_ent *addrs;	     /* defined function symbols by address */
	size_t naddrs;
	char *pool;		     /* NUL-terminated strings: names, probes, sonames */
	size_t pool_len;
	size_t pool_cap;
	size_t probes_off;	     /* nprobes "provider\0name\0" pairs from here */
	size_t nprobes;
	size_t needed_off;	     /* nneeded "soname\0" strings from here */
	size_t nneeded;
	/* the open files are shared (see elf_open_fd()): one index per file */
	struct stat st;		     /* identity: dev, inode, size, mtime */
	unsigned refs;
	struct elf_file *next;
};

/* Every open elf_file, so processes that map one file (node mode: fifty
 * workers of one interpreter) share one index of it; read-only after open
 * but for .rodata, read once on demand. Single-threaded like its callers. */
static struct elf_file *open_files;

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Append s[0..len) and a NUL to the pool. Its offsets must fit the 32 bits of
 * struct sym; string tables that large are not real files. */
static int pool_add(struct elf_file *ef, const char *s, size_t len)
{
	size_t need = ef->pool_len + len + 1;

	if (need > UINT32_MAX)
		return -ENOEXEC;
	if (need > ef->pool_cap) {
		size_t cap = ef->pool_cap ? ef->pool_cap : 1 << 16;
		char *pool;

		while (cap < need)
			cap *= 2;
		pool = realloc(ef->pool, cap);
		if (!pool)
			return -ENOMEM;
		ef->pool = pool;
		ef->pool_cap = cap;
	}
	memcpy(ef->pool + ef->pool_len, s, len);
	ef->pool[ef->pool_len + len] = '\0';
	ef->pool_len = need;
	return 0;
}

/* The string at off in a string table, or NULL if it is not NUL-terminated
 * inside the table (a corrupt file). */
static const char *strtab_str(const Elf_Data *strs, uint64_t off)
{
	const char *s;

	if (!strs->d_buf || off >= strs->d_size)
		return NULL;
	s = (const char *)strs->d_buf + off;
	return memchr(s, '\0', strs->d_size - off) ? s : NULL;
}

/* The data of the section that section header field sh_link names. */
static Elf_Data *linked_data(Elf *elf, Elf64_Word link)
{
	Elf_Scn *scn = elf_getscn(elf, link);

	return scn ? elf_getdata(scn, NULL) : NULL;
}

typedef int (*scn_fn)(struct elf_file *ef, Elf_Scn *scn, const Elf64_Shdr *sh);

/* Call fn for every section of type type, in section order; stop at an error. */
static int for_each_scn(struct elf_file *ef, Elf64_Word type, scn_fn fn)
{
	Elf_Scn *scn = NULL;
	int err;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		const Elf64_Shdr *sh = elf64_getshdr(scn);

		if (!sh)
			return -ENOEXEC;
		if (sh->sh_type != type)
			continue;
		err = fn(ef, scn, sh);
		if (err)
			return err;
	}
	return 0;
}

static int load_segments(struct elf_file *ef)
{
	size_t i, n;

	if (elf_getphdrnum(ef->elf, &n))
		return -ENOEXEC;
	if (!n)
		return 0;
	ef->segs = calloc(n, sizeof(*ef->segs));
	if (!ef->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		/* A copy: in a corrupt file the table in the mapping may be
		 * misaligned. */
		GElf_Phdr p;

		if (!gelf_getphdr(ef->elf, i, &p))
			return -ENOEXEC;
		if (p.p_type != PT_LOAD)
			continue;
		/* The kernel refuses to load such a segment; so do we, rather
		 * than guess which size is right. */
		if (p.p_filesz > p.p_memsz || p.p_memsz > UINT64_MAX - p.p_vaddr)
			return -ENOEXEC;
		/* A truncated file: its file-backed bytes are not all there. */
		if (p.p_offset > ef->file_size || p.p_filesz > ef->file_size - p.p_offset)
			return -ENOEXEC;
		if (!ef->nsegs)
			ef->first_load_vaddr =
				p.p_align > 1 ? p.p_vaddr - p.p_vaddr % p.p_align : p.p_vaddr;
		ef->segs[ef->nsegs++] = (struct load_seg){
			.vaddr = p.p_vaddr,
			.memsz = p.p_memsz,
			.offset = p.p_offset,
			.filesz = p.p_filesz,
		};
	}
	return 0;
}

/* The .gnu.version entries that belong to symbol table section symndx. */
static const Elf64_Half *find_versym(Elf *elf, size_t symndx, size_t *n)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		const Elf64_Shdr *sh = elf64_getshdr(scn);
		Elf_Data *data;

		if (!sh || sh->sh_type != SHT_GNU_versym || sh->sh_link != symndx)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			break;
		*n = data->d_size / sizeof(Elf64_Half);
		return data->d_buf;
	}
	*n = 0;
	return NULL;
}

static uint8_t bind_rank(unsigned int bind)
{
	switch (bind) {
	case STB_GLOBAL:
	case STB_GNU_UNIQUE:
		return 0;
	case STB_WEAK:
		return 1;
	default:
		return 2;
	}
}

static int load_symtab(struct elf_file *ef, Elf_Scn *scn, const Elf64_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	Elf_Data *strs = linked_data(ef->elf, sh->sh_link);
	const Elf64_Half *versym = NULL;
	size_t i, n, nversym = 0;
	struct sym *syms;
	int err;

	if (!data || !strs)
		return -ENOEXEC;
	n = data->d_buf ? data->d_size / sizeof(Elf64_Sym) : 0;
	/* Entry 0 is the reserved undefined symbol. */
	if (n <= 1)
		return 0;
	if (n > UINT32_MAX - ef->nsyms)
		return -ENOEXEC;
	syms = reallocarray(ef->syms, ef->nsyms + n, sizeof(*syms));
	if (!syms)
		return -ENOMEM;
	ef->syms = syms;
	/* .dynsym names carry no version: .gnu.version says which of two
	 * same-named definitions (libc's memcpy@GLIBC_2.2.5 and
	 * memcpy@@GLIBC_2.14) is the default one a bare name binds to. */
	if (sh->sh_type == SHT_DYNSYM)
		versym = find_versym(ef->elf, elf_ndxscn(scn), &nversym);

	for (i = 1; i < n; i++) {
		const Elf64_Sym *es = (const Elf64_Sym *)data->d_buf + i;
		unsigned int type = ELF64_ST_TYPE(es->st_info);
		const char *name = strtab_str(strs, es->st_name);
		const char *at;
		size_t len;

		if (!name)
			return -ENOEXEC;
		/* Section and file symbols name neither code nor data. */
		if (type == STT_SECTION || type == STT_FILE)
			continue;
		/* .symtab spells versions into names: "name@VER" for a
		 * non-default version, "name@@VER" for the default one. */
		at = strchr(name, '@');
		len = at ? (size_t)(at - name) : strlen(name);
		if (!len)
			continue;
		syms[ef->nsyms] = (struct sym){
			.addr = es->st_value,
			.size = es->st_size,
			.name_off = ef->pool_len,
			.index = i,
			.table = sh->sh_type == SHT_DYNSYM ? TABLE_DYNSYM : TABLE_SYMTAB,
			.bind_rank = bind_rank(ELF64_ST_BIND(es->st_info)),
			.defined = es->st_shndx != SHN_UNDEF,
			.hidden = at ? at[1] != '@'
				     : i < nversym && (versym[i] & VERSYM_HIDDEN_BIT),
			.is_func = type == STT_FUNC || type == STT_GNU_IFUNC,
		};
		err = pool_add(ef, name, len);
		if (err)
			return err;
		ef->nsyms++;
	}
	return 0;
}

/* One SystemTap note: desc is pc, base and semaphore, then the provider and
 * the probe name (NUL-terminated), then the argument string. */
static int add_probe(struct elf_file *ef, const GElf_Nhdr *nh, const char *owner,
		     const char *desc)
{
	const char *provider = desc + STAPSDT_ADDRS_SIZE, *name;
	size_t left, plen, nlen;
	int err;

	if (nh->n_type != STAPSDT_NOTE_TYPE || nh->n_namesz != sizeof(STAPSDT_OWNER) ||
	    memcmp(owner, STAPSDT_OWNER, sizeof(STAPSDT_OWNER)))
		return 0;
	if (nh->n_descsz <= STAPSDT_ADDRS_SIZE)
		return -ENOEXEC;
	left = nh->n_descsz - STAPSDT_ADDRS_SIZE;
	plen = strnlen(provider, left);
	if (plen == left)
		return -ENOEXEC;
	name = provider + plen + 1;
	left -= plen + 1;
	nlen = strnlen(name, left);
	if (nlen == left)
		return -ENOEXEC;
	err = pool_add(ef, provider, plen);
	if (!err)
		err = pool_add(ef, name, nlen);
	if (!err)
		ef->nprobes++;
	return err;
}

static int load_notes(struct elf_file *ef, Elf_Scn *scn, const Elf64_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;
	int err;

	(void)sh;
	if (!data)
		return -ENOEXEC;
	/* gelf_getnote() bounds-checks each note against the section. */
	while ((next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		err = add_probe(ef, &nh, (const char *)data->d_buf + name_off,
				(const char *)data->d_buf + desc_off);
		if (err)
			return err;
		off = next;
	}
	return 0;
}

static int load_dynamic(struct elf_file *ef, Elf_Scn *scn, const Elf64_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	Elf_Data *strs = linked_data(ef->elf, sh->sh_link);
	size_t i, n;
	int err;

	if (!data || !strs)
		return -ENOEXEC;
	n = data->d_buf ? data->d_size / sizeof(Elf64_Dyn) : 0;
	for (i = 0; i < n; i++) {
		const Elf64_Dyn *dyn = (const Elf64_Dyn *)data->d_buf + i;
		const char *soname;

		if (dyn->d_tag == DT_NULL)
			break;
		if (dyn->d_tag != DT_NEEDED)
			continue;
		soname = strtab_str(strs, dyn->d_un.d_val);
		if (!soname)
			return -ENOEXEC;
		err = pool_add(ef, soname, strlen(soname));
		if (err)
			return err;
		ef->nneeded++;
	}
	return 0;
}

/* Order of one name's candidates for elf_find_symbol(): defined, default
 * version, .dynsym before .symtab, GLOBAL over WEAK over LOCAL, sized. */
static int sym_name_cmp(const void *pa, const void *pb)
{
	const struct sym *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	if (a->defined != b->defined)
		return a->defined ? -1 : 1;
	if (a->hidden != b->hidden)
		return a->hidden ? 1 : -1;
	if (a->table != b->table)
		return a->table < b->table ? -1 : 1;
	if (a->bind_rank != b->bind_rank)
		return a->bind_rank < b->bind_rank ? -1 : 1;
	if (!a->size != !b->size)
		return a->size ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Order by address, and at one address the name a report should show first:
 * sized, GLOBAL, default version, fewest leading underscores (malloc rather
 * than __libc_malloc), .dynsym. */
static int addr_ent_cmp(const void *pa, const void *pb)
{
	const struct addr_ent *ea = pa, *eb = pb;
	const struct sym *a = ea->sym, *b = eb->sym;
	size_t ua, ub;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (!a->size != !b->size)
		return a->size ? -1 : 1;
	if (a->bind_rank != b->bind_rank)
		return a->bind_rank < b->bind_rank ? -1 : 1;
	if (a->hidden != b->hidden)
		return a->hidden ? 1 : -1;
	ua = strspn(a->name, "_");
	ub = strspn(b->name, "_");
	if (ua != ub)
		return ua < ub ? -1 : 1;
	if (a->table != b->table)
		return a->table < b->table ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int index_symbols(struct elf_file *ef)
{
	struct addr_ent *a;
	size_t i, n = 0;

	if (!ef->nsyms)
		return 0;
	for (i = 0; i < ef->nsyms; i++)
		ef->syms[i].name = ef->pool + ef->syms[i].name_off;
	array_sort(ef->syms, ef->nsyms, sizeof(*ef->syms), sym_name_cmp);

	for (i = 0; i < ef->nsyms; i++)
		n += ef->syms[i].defined && ef->syms[i].is_func;
	if (!n)
		return 0;
	a = calloc(n, sizeof(*a));
	if (!a)
		return -ENOMEM;
	ef->addrs = a;
	for (i = 0, n = 0; i < ef->nsyms; i++) {
		const struct sym *s = &ef->syms[i];

		if (s->defined && s->is_func)
			a[n++] = (struct addr_ent){ .start = s->addr, .sym = s };
	}
	array_sort(a, n, sizeof(*a), addr_ent_cmp);

	for (i = 0; i < n; i++) {
		if (ef->naddrs && a[ef->naddrs - 1].start == a[i].start)
			continue;
		a[ef->naddrs++] = a[i];
	}
	for (i = 0; i < ef->naddrs; i++) {
		uint64_t size = a[i].sym->size ? a[i].sym->size : 1;
		uint32_t p = i ? i - 1 : NO_PARENT;

		a[i].end = size > UINT64_MAX - a[i].start ? UINT64_MAX : a[i].start + size;
		/* The ranges still open at a[i - 1] form a stack threaded
		 * through parent; pop those that end before a[i] starts. */
		while (p != NO_PARENT && a[p].end <= a[i].start)
			p = a[p].parent;
		a[i].parent = p;
	}
	return 0;
}

/* Open ef->fd with libelf (reading, never mapping), and check it is a
 * 64-bit little-endian x86-64 executable or shared object. */
static int begin_file(struct elf_file *ef)
{
	const Elf64_Ehdr *ehdr;
	struct stat st;

	if (fstat(ef->fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -ENOEXEC;
	ef->file_size = st.st_size;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	ef->elf = elf_begin(ef->fd, ELF_C_READ, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF)
		return -ENOEXEC;
	ehdr = elf64_getehdr(ef->elf);
	if (!ehdr || ehdr->e_ident[EI_DATA] != ELFDATA2LSB || ehdr->e_machine != EM_X86_64)
		return -ENOEXEC;
	/* Relocatable objects and core files have nothing to attach to. */
	if (ehdr->e_type != ET_EXEC && ehdr->e_type != ET_DYN)
		return -ENOEXEC;
	ef->is_dyn = ehdr->e_type == ET_DYN;
	return 0;
}

/* Remember where .rodata lies in the file (for elf_rodata()). */
static int find_rodata(struct elf_file *ef, Elf_Scn *scn, const Elf64_Shdr *sh)
{
	size_t shstrndx;
	const char *name;

	if (elf_getshdrstrndx(ef->elf, &shstrndx))
		return 0;
	name = elf_strptr(ef->elf, shstrndx, sh->sh_name);
	if (name && !strcmp(name, ".rodata") && sh->sh_offset <= ef->file_size &&
	    sh->sh_size <= ef->file_size - sh->sh_offset) {
		ef->rodata_off = sh->sh_offset;
		ef->rodata_size = sh->sh_size;
	}
	return 0;
}

static int load(struct elf_file *ef)
{
	int err;

	err = load_segments(ef);
	if (err)
		return err;
	err = for_each_scn(ef, SHT_DYNSYM, load_symtab);
	if (err)
		return err;
	err = for_each_scn(ef, SHT_SYMTAB, load_symtab);
	if (err)
		return err;
	/* Probes, then sonames, each contiguous in the pool. */
	ef->probes_off = ef->pool_len;
	err = for_each_scn(ef, SHT_NOTE, load_notes);
	if (err)
		return err;
	ef->needed_off = ef->pool_len;
	err = for_each_scn(ef, SHT_DYNAMIC, load_dynamic);
	if (err)
		return err;
	err = for_each_scn(ef, SHT_PROGBITS, find_rodata);
	if (err)
		return err;
	/* Last: names point into the pool, which has now stopped moving. */
	return index_symbols(ef);
}

struct elf_file *elf_open_fd(int fd)
{
	struct elf_file *ef;
	struct stat st;
	int err;

	/* a file already open (the same inode, size and mtime) is shared */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode))
		for (ef = open_files; ef; ef = ef->next)
			if (same_file(&ef->st, &st)) {
				close(fd);
				ef->refs++;
				return ef;
			}
	ef = calloc(1, sizeof(*ef));
	if (!ef) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	ef->fd = fd;
	err = begin_file(ef);
	if (!err)
		err = load(ef);
	/* everything is indexed: libelf's copies of the tables can go */
	elf_end(ef->elf);
	ef->elf = NULL;
	if (!err) {
		if (!fstat(fd, &ef->st) && S_ISREG(ef->st.st_mode)) {
			ef->refs = 1;
			ef->next = open_files;
			open_files = ef;
		}
		return ef;
	}
	elf_close(ef);
	errno = -err;
	return NULL;
}

struct elf_file *elf_open(const char *path)
{
	/* O_NONBLOCK: a FIFO put in the file's place must not hang us */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	return fd < 0 ? NULL : elf_open_fd(fd);
}

void elf_close(struct elf_file *ef)
{
	if (!ef)
		return;
	if (ef->refs) {
		struct elf_file **pp;

		if (--ef->refs)
			return;
		for (pp = &open_files; *pp; pp = &(*pp)->next)
			if (*pp == ef) {
				*pp = ef->next;
				break;
			}
	}
	elf_end(ef->elf);
	close(ef->fd);
	free(ef->segs);
	free(ef->syms);
	free(ef->addrs);
	free(ef->pool);
	free(ef->rodata);
	free(ef);
}

/* read_at() - exactly len bytes at file offset off. Returns 0, or -EIO when
 * the file is shorter now than it was at open (truncated by its owner). */
static int read_at(const struct elf_file *ef, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(ef->fd, (char *)buf + got, len - got, off + got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		got += n;
	}
	return 0;
}

bool elf_is_dyn(const struct elf_file *ef)
{
	return ef->is_dyn;
}

static void fill_sym(struct elf_sym *out, const struct sym *s)
{
	*out = (struct elf_sym){
		.name = s->name,
		.addr = s->addr,
		.size = s->size,
		.is_func = s->is_func,
	};
}

int elf_find_symbol(const struct elf_file *ef, const char *name, struct elf_sym *out)
{
	size_t lo = 0, hi = ef->nsyms;

	/* The first entry not below name; the best candidate comes first. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ef->syms[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* defined candidates sort first: an import of the name is no answer */
	if (lo == ef->nsyms || strcmp(ef->syms[lo].name, name) || !ef->syms[lo].defined)
		return -ENOENT;
	fill_sym(out, &ef->syms[lo]);
	return 0;
}

int elf_symbolize(const struct elf_file *ef, uint64_t addr, struct elf_sym *out, uint64_t *offset)
{
	size_t lo = 0, hi = ef->naddrs;
	uint32_t i;

	/* The last entry starting at or before addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ef->addrs[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	/* It, or the innermost range around it that still reaches addr, or
	 * (none does) it as the nearest preceding function. */
	for (i = lo - 1; i != NO_PARENT && addr >= ef->addrs[i].end; i = ef->addrs[i].parent)
		;
	if (i == NO_PARENT)
		i = lo - 1;
	fill_sym(out, ef->addrs[i].sym);
	*offset = addr - ef->addrs[i].start;
	return 0;
}

int elf_vaddr_to_offset(const struct elf_file *ef, uint64_t vaddr, uint64_t *offset)
{
	size_t i;

	for (i = 0; i < ef->nsegs; i++) {
		const struct load_seg *s = &ef->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*offset = s->offset + (vaddr - s->vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

int elf_read_vaddr(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len)
{
	size_t i;

	for (i = 0; i < ef->nsegs; i++) {
		const struct load_seg *s = &ef->segs[i];
		uint64_t off = vaddr - s->vaddr, from_file;

		if (vaddr < s->vaddr || off > s->memsz || len > s->memsz - off)
			continue;
		from_file = off < s->filesz ? s->filesz - off : 0;
		if (from_file > len)
			from_file = len;
		memset((char *)buf + from_file, 0, len - from_file);
		return from_file ? read_at(ef, buf, from_file, s->offset + off) : 0;
	}
	return -ENOENT;
}

uint64_t elf_first_load_vaddr(const struct elf_file *ef)
{
	return ef->first_load_vaddr;
}

bool elf_has_usdt(const struct elf_file *ef, const char *provider, const char *name)
{
	size_t i, off = ef->probes_off;

	for (i = 0; i < ef->nprobes; i++) {
		const char *p = ef->pool + off;
		const char *n = p + strlen(p) + 1;

		if (!strcmp(p, provider) && !strcmp(n, name))
			return true;
		off = n + strlen(n) + 1 - ef->pool;
	}
	return false;
}

bool elf_needs_library(const struct elf_file *ef, const char *prefix)
{
	size_t i, off = ef->needed_off, plen = strlen(prefix);

	for (i = 0; i < ef->nneeded; i++) {
		const char *soname = ef->pool + off;

		if (!strncmp(soname, prefix, plen))
			return true;
		off += strlen(soname) + 1;
	}
	return false;
}

const char *elf_rodata(struct elf_file *ef, size_t *size)
{
	if (!ef->rodata && ef->rodata_size) {
		char *p = malloc(ef->rodata_size);

		if (p && read_at(ef, p, ef->rodata_size, ef->rodata_off)) {
			free(p);
			p = NULL;
		}
		ef->rodata = p;
	}
	*size = ef->rodata ? ef->rodata_size : 0;
	return ef->rodata;
}
