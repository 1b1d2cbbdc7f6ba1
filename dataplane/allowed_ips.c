/* SPDX-License-Identifier: MIT */
/*
 * Building the cryptokey routing trie (allowed_ips.h has the layout and the
 * lookup) and parsing the peers file into it. Insert keeps each node's
 * prefixes as a plain list and re-derives the node's run-length coded
 * 256-entry expansion after every change, so no leaf pushing crosses
 * nodes and an insert touches one node's runs plus at most two new nodes.
 *
 * Not here: deleting prefixes, or any synchronisation with readers.
 */
#include "dataplane/allowed_ips.h"

#include "internal/compiler.h"
#include "internal/hex_digit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

/* A prefix ending in a node: its top `len` bits (1..8) of the node's byte. */
struct allowed_ips_inner {
	uint8_t len;
	uint8_t bits; /* the byte, bits below len zero */
	uint32_t slot;
};

enum {
	FANOUT = 256, /* byte values a node branches on */
	SLOTS_FIRST = 16,
};

/* ---- nodes ------------------------------------------------------------------------ */

/* The runs of every node without prefixes: one run, "no prefix". Never freed. */
static const uint32_t no_prefix_run[1];

static uint8_t key_byte(const struct allowed_ips_node *n, unsigned i)
{
	return (uint8_t)(n->key[i / 8] >> (56 - 8 * (i % 8)));
}

/* Counts before word w: at most 3 * 64 = 192, so a byte holds them. */
static void set_ranks(uint8_t rank[4], const uint64_t bm[4])
{
	rank[0] = 0;
	for (int w = 1; w < 4; w++)
		rank[w] = (uint8_t)(rank[w - 1] + allowed_ips_popcount(bm[w - 1]));
}

static unsigned n_kids(const struct allowed_ips_node *n)
{
	return n->child_rank[3] + allowed_ips_popcount(n->child_bm[3]);
}

/* A node at `depth` whose key is the first depth bytes of p: no prefixes, no children. */
static void node_init(struct allowed_ips *t, struct allowed_ips_node *n, unsigned depth,
		      const uint8_t *p)
{
	memset(n, 0, sizeof(*n));
	n->run_bm[0] = 1;
	set_ranks(n->run_rank, n->run_bm);
	n->run_slot = no_prefix_run;
	n->depth = (uint8_t)depth;
	for (unsigned i = 0; i < depth; i++)
		n->key[i / 8] |= (uint64_t)p[i] << (56 - 8 * (i % 8));
	t->n_nodes++;
}

/* Frees what n owns, with `deep` its whole subtree; n itself sits in its parent's block. */
static void node_release(struct allowed_ips *t, struct allowed_ips_node *n, bool deep)
{
	if (deep)
		for (unsigned i = 0; i < n_kids(n); i++)
			node_release(t, &n->kids[i], true);
	free(n->kids);
	if (n->run_slot != no_prefix_run)
		free((void *)n->run_slot);
	free(n->inner);
	t->n_nodes--;
}

/* Where byte b's child is (or would go) in n->kids[], and whether it exists. */
static unsigned child_pos(const struct allowed_ips_node *n, unsigned b, bool *has)
{
	unsigned w = b / 64, bit = b % 64;

	*has = n->child_bm[w] >> bit & 1;
	return n->child_rank[w] +
	       allowed_ips_popcount(n->child_bm[w] & (allowed_ips_upto(bit) >> 1));
}

/* A block of k nodes, each on its own pair of cache lines. */
static struct allowed_ips_node *block_new(unsigned k)
{
	void *p = NULL;

	if (posix_memalign(&p, 2 * CACHE_LINE_BYTES, k * sizeof(struct allowed_ips_node)) != 0)
		return NULL;
	return p;
}

/*
 * Moves c in as the child for byte b (which has none), shifting the later
 * siblings up. A block's capacity is its node count rounded up to a power
 * of two, so it grows (into a new block) only when the count is one. Returns
 * where c now is, or NULL (-ENOMEM) with n unchanged and c still the caller's.
 */
static struct allowed_ips_node *node_add_child(struct allowed_ips_node *n, unsigned b,
					       const struct allowed_ips_node *c)
{
	unsigned kids = n_kids(n), at;
	struct allowed_ips_node *blk = n->kids;
	bool has;

	at = child_pos(n, b, &has);
	if ((kids & (kids - 1)) == 0) { /* 0, 1, 2, 4, ...: full */
		blk = block_new(kids ? 2 * kids : 1);
		if (!blk)
			return NULL;
		if (kids)
			memcpy(blk, n->kids, kids * sizeof(*blk));
		free(n->kids);
	}
	memmove(blk + at + 1, blk + at, (kids - at) * sizeof(*blk));
	blk[at] = *c;
	n->kids = blk;
	n->child_bm[b / 64] |= 1ULL << (b % 64);
	set_ranks(n->child_rank, n->child_bm);
	return &blk[at];
}

/*
 * Re-derives the runs from n->inner: paint the 256 byte values with the
 * prefixes, shortest first so longer ones overwrite, then keep one slot per
 * change. 0 or -ENOMEM with the old runs still in place.
 */
static int node_rebuild_runs(struct allowed_ips_node *n)
{
	uint32_t paint[FANOUT] = {0}, *runs;
	uint64_t bm[4] = {0};
	unsigned n_runs = 0;

	for (unsigned len = 1; len <= 8; len++)
		for (unsigned i = 0; i < n->n_inner; i++)
			if (n->inner[i].len == len)
				for (unsigned b = 0; b < (unsigned)FANOUT >> len; b++)
					paint[n->inner[i].bits + b] = n->inner[i].slot;
	for (unsigned b = 0; b < FANOUT; b++)
		if (b == 0 || paint[b] != paint[b - 1]) {
			bm[b / 64] |= 1ULL << (b % 64);
			n_runs++;
		}
	runs = malloc(n_runs * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	n_runs = 0;
	for (unsigned b = 0; b < FANOUT; b++)
		if (bm[b / 64] >> (b % 64) & 1)
			runs[n_runs++] = paint[b];
	if (n->run_slot != no_prefix_run)
		free((void *)n->run_slot);
	n->run_slot = runs;
	memcpy(n->run_bm, bm, sizeof(bm));
	set_ranks(n->run_rank, n->run_bm);
	return 0;
}

static struct allowed_ips_inner *inner_find(struct allowed_ips_node *n, uint8_t len, uint8_t bits)
{
	for (unsigned i = 0; i < n->n_inner; i++)
		if (n->inner[i].len == len && n->inner[i].bits == bits)
			return &n->inner[i];
	return NULL;
}

/* Adds a prefix that is not in n yet. 0 or -ENOMEM with n's lookups unchanged. */
static int node_add_inner(struct allowed_ips_node *n, uint8_t len, uint8_t bits, uint32_t slot)
{
	if (n->n_inner == n->cap_inner) {
		/* At most 2 + 4 + ... + 256 = 510 distinct prefixes end in one node. */
		uint16_t cap = n->cap_inner ? (uint16_t)(n->cap_inner * 2) : 2;
		struct allowed_ips_inner *arr = realloc(n->inner, cap * sizeof(*arr));

		if (!arr)
			return -ENOMEM;
		n->inner = arr;
		n->cap_inner = cap;
	}
	n->inner[n->n_inner++] = (struct allowed_ips_inner){.len = len, .bits = bits, .slot = slot};
	if (node_rebuild_runs(n) != 0) {
		n->n_inner--;
		return -ENOMEM;
	}
	return 0;
}

/* ---- descent ------------------------------------------------------------------------ */

/*
 * Puts a new node at depth m (< c's depth) above c, in c's place in n's
 * block: c moves into the new node's block. Returns the new node or NULL.
 */
static struct allowed_ips_node *split_above(struct allowed_ips *t, struct allowed_ips_node *c,
					    unsigned m, const uint8_t *p)
{
	struct allowed_ips_node x;

	node_init(t, &x, m, p);
	x.kids = block_new(1);
	if (!x.kids) {
		node_release(t, &x, false);
		return NULL;
	}
	x.kids[0] = *c;
	x.child_bm[key_byte(c, m) / 64] |= 1ULL << (key_byte(c, m) % 64);
	set_ranks(x.child_rank, x.child_bm);
	*c = x;
	return c;
}

/*
 * Returns the node at `depth` on p's path, creating it, or splitting a
 * compressed edge with a new node where p leaves it:
 *
 *   n --b--> c (depth 9)        n --b--> x (depth m) --c's byte--> c
 *                          =>                        --p[m]------> new (depth)
 *
 * NULL on -ENOMEM; anything made before that is linked and prefix-free, so
 * lookups give the same answers as before.
 */
static struct allowed_ips_node *node_at(struct allowed_ips *t, struct allowed_ips_node *n,
					const uint8_t *p, unsigned depth)
{
	while (n->depth != depth) {
		struct allowed_ips_node *c, y;
		unsigned m, lim;
		bool has;
		unsigned at = child_pos(n, p[n->depth], &has);

		if (!has) {
			node_init(t, &y, depth, p);
			c = node_add_child(n, p[n->depth], &y);
			if (!c)
				node_release(t, &y, false);
			return c;
		}
		c = &n->kids[at];
		/* Bytes above n->depth matched already, and so did p[n->depth]. */
		lim = c->depth < depth ? c->depth : depth;
		for (m = n->depth + 1u; m < lim && key_byte(c, m) == p[m]; m++)
			;
		/* p runs through all of c's key: go down; else p leaves c's edge at m. */
		n = m == c->depth ? c : split_above(t, c, m, p);
		if (!n)
			return NULL;
	}
	return n;
}

/* Makes room for one more slot. 0 or -ENOMEM. */
static int slot_reserve(struct allowed_ips *t)
{
	uint32_t cap;
	uint32_t *v;

	if (t->n_slots < t->cap_slots)
		return 0;
	if (t->cap_slots > UINT32_MAX / 2)
		return -ENOMEM;
	cap = t->cap_slots ? t->cap_slots * 2 : SLOTS_FIRST;
	v = realloc(t->values, (size_t)cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->values = v;
	t->cap_slots = cap;
	return 0;
}

/* Slot of the exact prefix p/len (p already masked) or 0; len >= 1. */
static uint32_t exact_slot(const struct allowed_ips *t, unsigned fam, const uint8_t *p,
			   unsigned len)
{
	const struct allowed_ips_node *n = &t->root[fam];
	unsigned depth = (len - 1) / 8;

	while (n->depth < depth) {
		bool has;
		unsigned at = child_pos(n, p[n->depth], &has);

		if (!has)
			return 0;
		n = &n->kids[at];
		for (unsigned i = 0; i < n->depth && i < depth; i++)
			if (key_byte(n, i) != p[i])
				return 0;
	}
	if (n->depth != depth)
		return 0;
	for (unsigned i = 0; i < n->n_inner; i++)
		if (n->inner[i].len == len - 8 * depth && n->inner[i].bits == p[depth])
			return n->inner[i].slot;
	return 0;
}

/* Copies the first len bits of ip into p (n_bytes long), zeroing the rest. */
static void mask_prefix(uint8_t *p, const uint8_t *ip, unsigned n_bytes, unsigned len)
{
	for (unsigned i = 0; i < n_bytes; i++) {
		unsigned keep = len > 8 * i ? len - 8 * i : 0;

		p[i] = keep >= 8 ? ip[i] : (uint8_t)(ip[i] & (0xff00 >> keep));
	}
}

/* ---- table -------------------------------------------------------------------------- */

int allowed_ips_init(struct allowed_ips *t)
{
	static const uint8_t zero[16];

	memset(t, 0, sizeof(*t));
	node_init(t, &t->root[0], 0, zero);
	node_init(t, &t->root[1], 0, zero);
	if (slot_reserve(t) != 0) {
		allowed_ips_fini(t);
		return -ENOMEM;
	}
	t->n_slots = 1; /* slot 0 means "no prefix" */
	return 0;
}

void allowed_ips_fini(struct allowed_ips *t)
{
	node_release(t, &t->root[0], true);
	node_release(t, &t->root[1], true);
	free(t->values);
	memset(t, 0, sizeof(*t));
}

int allowed_ips_insert(struct allowed_ips *t, uint8_t family, const uint8_t *ip, uint8_t len,
		       uint32_t value)
{
	unsigned fam = family == ADDR_IPV6, n_bytes = fam ? 16 : 4, depth, rl;
	struct allowed_ips_node *n;
	struct allowed_ips_inner *old;
	uint8_t p[16];

	if ((family != ADDR_IPV4 && family != ADDR_IPV6) || len > 8 * n_bytes || !ip)
		return -EINVAL;
	if (slot_reserve(t) != 0)
		return -ENOMEM;
	mask_prefix(p, ip, n_bytes, len);
	if (len == 0) {
		if (!t->default_slot[fam])
			t->default_slot[fam] = t->n_slots++;
		t->values[t->default_slot[fam]] = value;
		return 0;
	}
	depth = (len - 1u) / 8;
	rl = len - 8 * depth; /* 1..8 bits of byte `depth` */
	n = node_at(t, &t->root[fam], p, depth);
	if (!n)
		return -ENOMEM;
	old = inner_find(n, (uint8_t)rl, p[depth]);
	if (old) {
		t->values[old->slot] = value; /* the later insert wins */
		return 0;
	}
	t->values[t->n_slots] = value;
	if (node_add_inner(n, (uint8_t)rl, p[depth], t->n_slots) != 0)
		return -ENOMEM;
	t->n_slots++;
	return 0;
}

/* ---- the peers file ----------------------------------------------------------------- */

/* The parser's state: everything is built aside and handed over only on success. */
struct parse {
	struct allowed_ips t;
	uint8_t (*pub)[WIRE_KEY_BYTES];
	uint32_t *line_of; /* the line each peer is on, for messages */
	uint32_t n, cap;
	uint32_t line;
	char *err;
	size_t err_cap;
};

struct token {
	const char *s;
	size_t len;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;
	int off;

	if (!ps->err_cap)
		return -1;
	off = snprintf(ps->err, ps->err_cap, "line %u: ", ps->line);
	if (off >= 0 && (size_t)off < ps->err_cap) {
		va_start(ap, fmt);
		vsnprintf(ps->err + off, ps->err_cap - (size_t)off, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A token made printable for a message: 40 bytes at most, then "...". */
static const char *quote(char out[48], struct token tk)
{
	size_t n = tk.len > 40 ? 40 : tk.len;

	for (size_t i = 0; i < n; i++)
		out[i] = tk.s[i] > ' ' && tk.s[i] < 0x7f ? tk.s[i] : '?';
	strcpy(out + n, tk.len > n ? "..." : "");
	return out;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next field of s[0..len) from *pos on; false at the end of the line. */
static bool next_token(const char *s, size_t len, size_t *pos, struct token *tk)
{
	size_t i = *pos;

	while (i < len && is_blank(s[i]))
		i++;
	if (i == len)
		return false;
	tk->s = s + i;
	while (i < len && !is_blank(s[i]))
		i++;
	tk->len = (size_t)(s + i - tk->s);
	*pos = i;
	return true;
}

static bool decode_key(uint8_t out[WIRE_KEY_BYTES], struct token tk)
{
	if (tk.len != 2 * WIRE_KEY_BYTES)
		return false;
	for (size_t i = 0; i < WIRE_KEY_BYTES; i++) {
		int hi = hex_digit_value(tk.s[2 * i]), lo = hex_digit_value(tk.s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* "0".."128", no sign, no leading zero; -1 otherwise. */
static int parse_len(const char *s, size_t n)
{
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Parses "address/length" with no host bits set. 0, or -1 with the message. */
static int parse_prefix(struct parse *ps, struct token tk, uint8_t *fam, uint8_t ip[16],
			uint8_t *len)
{
	char buf[64], q[48], fix[INET6_ADDRSTRLEN];
	const char *slash = memchr(tk.s, '/', tk.len);
	size_t alen = slash ? (size_t)(slash - tk.s) : tk.len;
	uint8_t masked[16];
	int l;

	quote(q, tk);
	if (!slash)
		return fail(ps, "prefix \"%s\" has no /length (e.g. 10.0.0.2/32, fd00::2/128)", q);
	if (alen >= sizeof(buf))
		return fail(ps, "prefix \"%s\" is not an IPv4 or IPv6 address", q);
	memcpy(buf, tk.s, alen);
	buf[alen] = 0;
	*fam = memchr(buf, ':', alen) ? ADDR_IPV6 : ADDR_IPV4;
	memset(ip, 0, 16);
	if (inet_pton(*fam == ADDR_IPV6 ? AF_INET6 : AF_INET, buf, ip) != 1)
		return fail(ps, "prefix \"%s\" is not an IPv4 or IPv6 address", q);
	l = parse_len(slash + 1, tk.len - alen - 1);
	if (l < 0 || l > (*fam == ADDR_IPV6 ? 128 : 32))
		return fail(ps, "prefix \"%s\": the length must be 0-%d", q,
			    *fam == ADDR_IPV6 ? 128 : 32);
	*len = (uint8_t)l;
	mask_prefix(masked, ip, 16, *len);
	if (memcmp(masked, ip, 16) != 0) {
		inet_ntop(*fam == ADDR_IPV6 ? AF_INET6 : AF_INET, masked, fix, sizeof(fix));
		return fail(ps, "prefix \"%s\" has host bits set (did you mean %s/%d?)", q, fix, l);
	}
	return 0;
}

/* Gives one prefix to the newest peer, unless another peer has it. */
static int add_prefix(struct parse *ps, struct token tk)
{
	uint8_t fam = 0, ip[16], len = 0;
	uint32_t slot, peer = ps->n - 1;
	char q[48];

	if (parse_prefix(ps, tk, &fam, ip, &len) != 0)
		return -1;
	slot = len ? exact_slot(&ps->t, fam == ADDR_IPV6, ip, len)
		   : ps->t.default_slot[fam == ADDR_IPV6];
	if (slot && ps->t.values[slot] != peer)
		return fail(ps, "prefix \"%s\" is already given to the peer on line %u",
			    quote(q, tk), ps->line_of[ps->t.values[slot]]);
	if (!slot && allowed_ips_insert(&ps->t, fam, ip, len, peer) != 0)
		return fail(ps, "out of memory");
	return 0;
}

/* Appends the peer with key tk, refusing a bad or repeated key. */
static int add_peer(struct parse *ps, struct token tk)
{
	uint8_t pub[WIRE_KEY_BYTES];
	char q[48];

	if (ps->n == ALLOWED_IPS_MAX_PEERS)
		return fail(ps, "more than %d peers", ALLOWED_IPS_MAX_PEERS);
	if (!decode_key(pub, tk))
		return fail(ps, "public key \"%s\" is not 64 hex digits", quote(q, tk));
	/* Linear: at most 4096 * 4095 / 2 compares, once per load. */
	for (uint32_t i = 0; i < ps->n; i++)
		if (memcmp(ps->pub[i], pub, sizeof(pub)) == 0)
			return fail(ps, "public key %.16s... is already the peer on line %u", tk.s,
				    ps->line_of[i]);
	if (ps->n == ps->cap) {
		uint32_t cap = ps->cap ? ps->cap * 2 : 16;
		void *p = realloc(ps->pub, cap * sizeof(*ps->pub));

		if (!p)
			return fail(ps, "out of memory");
		ps->pub = p;
		p = realloc(ps->line_of, cap * sizeof(*ps->line_of));
		if (!p)
			return fail(ps, "out of memory");
		ps->line_of = p;
		ps->cap = cap;
	}
	memcpy(ps->pub[ps->n], pub, sizeof(pub));
	ps->line_of[ps->n++] = ps->line;
	return 0;
}

/* One line without its '\n': blank, a comment, or "peer <key> [prefix ...]". */
static int parse_line(struct parse *ps, const char *s, size_t len)
{
	const char *hash = memchr(s, '#', len);
	struct token tk;
	size_t pos = 0;
	char q[48];

	if (hash)
		len = (size_t)(hash - s);
	for (size_t i = 0; i < len; i++)
		if (((uint8_t)s[i] < ' ' && !is_blank(s[i])) || s[i] == 0x7f)
			return fail(ps, "control character 0x%02x in column %zu", (uint8_t)s[i],
				    i + 1);
	if (!next_token(s, len, &pos, &tk))
		return 0;
	if (tk.len != 4 || memcmp(tk.s, "peer", 4) != 0)
		return fail(ps, "unknown keyword \"%s\" (want \"peer <public key> [prefix ...]\")",
			    quote(q, tk));
	if (!next_token(s, len, &pos, &tk))
		return fail(ps, "peer has no public key (64 hex digits)");
	if (add_peer(ps, tk) != 0)
		return -1;
	while (next_token(s, len, &pos, &tk))
		if (add_prefix(ps, tk) != 0)
			return -1;
	return 0;
}

int allowed_ips_parse_peers(struct allowed_ips *t, struct allowed_ips_peers *peers,
			    const char *text, size_t len, char *err, size_t err_cap)
{
	struct parse ps = {.err = err, .err_cap = err_cap};
	size_t pos = 0;
	int rc = 0;

	if (err_cap)
		err[0] = 0;
	if (allowed_ips_init(&ps.t) != 0) {
		snprintf(err, err_cap, "out of memory");
		return -1;
	}
	while (pos < len && rc == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		ps.line++;
		if (end - pos > ALLOWED_IPS_MAX_LINE_BYTES)
			rc = fail(&ps, "longer than %d bytes", ALLOWED_IPS_MAX_LINE_BYTES);
		else
			rc = parse_line(&ps, text + pos, end - pos);
		pos = end + 1;
	}
	free(ps.line_of);
	if (rc != 0) {
		allowed_ips_fini(&ps.t);
		free(ps.pub);
		return -1;
	}
	allowed_ips_fini(t);
	*t = ps.t; /* no pointers into the struct itself, so it moves by copy */
	peers->n = ps.n;
	peers->pub = ps.pub;
	return 0;
}

/* Reads a whole regular file of at most ALLOWED_IPS_MAX_FILE_BYTES. 0 or -1 with err. */
static int read_file(const char *path, char **out, size_t *out_len, char *err, size_t err_cap)
{
	static const char too_big[] = "larger than the 16 MiB limit for a peers file";
	struct stat st;
	size_t len = 0, cap;
	char *buf, *grown;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, err_cap, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, err_cap, "%s: not a regular file", path);
		goto err_close;
	}
	if (st.st_size > ALLOWED_IPS_MAX_FILE_BYTES) {
		snprintf(err, err_cap, "%s: %s", path, too_big);
		goto err_close;
	}
	/* One byte more than the size, so a file that grew is noticed. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf)
		goto err_close_nomem;
	while ((got = read(fd, buf + len, cap - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, err_cap, "%s: read: %s", path, strerror(errno));
			goto err_free;
		}
		len += (size_t)got;
		if (len > ALLOWED_IPS_MAX_FILE_BYTES) {
			snprintf(err, err_cap, "%s: %s", path, too_big);
			goto err_free;
		}
		if (len == cap) {
			cap = cap * 2 > ALLOWED_IPS_MAX_FILE_BYTES ? ALLOWED_IPS_MAX_FILE_BYTES + 1
								   : cap * 2;
			grown = realloc(buf, cap);
			if (!grown)
				goto err_free_nomem;
			buf = grown;
		}
	}
	close(fd);
	*out = buf;
	*out_len = len;
	return 0;

err_free_nomem:
	free(buf);
err_close_nomem:
	snprintf(err, err_cap, "%s: out of memory", path);
	close(fd);
	return -1;
err_free:
	free(buf);
err_close:
	close(fd);
	return -1;
}

int allowed_ips_load_peers(struct allowed_ips *t, struct allowed_ips_peers *peers, const char *path,
			   char *err, size_t err_cap)
{
	char msg[512];
	char *text;
	size_t len;
	int rc;

	if (read_file(path, &text, &len, err, err_cap) != 0)
		return -1;
	rc = allowed_ips_parse_peers(t, peers, text, len, msg, sizeof(msg));
	if (rc != 0)
		snprintf(err, err_cap, "%s: %s", path, msg);
	free(text);
	return rc;
}

void allowed_ips_peers_free(struct allowed_ips_peers *peers)
{
	free(peers->pub);
	peers->pub = NULL;
	peers->n = 0;
}
