/* SPDX-License-Identifier: MIT */
/*
 * Cryptokey routing (WireGuard's AllowedIPs): a longest-prefix-match table
 * from IPv4/IPv6 prefixes to a 32-bit value (a peer index), and the parser
 * of the peers file drift-vpn writes and drift-dp reads.
 *
 * The table is a multibit trie with an 8-bit stride: a node branches on one
 * address byte and also holds the prefixes that end inside that byte
 * (lengths 8*depth+1 .. 8*depth+8). Nodes are compressed two ways:
 *   - poptrie-style bitmaps: a 256-bit bitmap says which byte values have
 *     a child, and the children sit side by side in one block, found by a
 *     popcount; the prefixes inside the node are expanded to 256 positions
 *     and run-length coded the same way (a bitmap of where a run starts,
 *     one slot per run), so a node holding one /24 costs 3 runs, not 256;
 *   - path compression: a chain of nodes with one child and no prefixes is
 *     skipped; a node records the address bytes above it and a lookup that
 *     jumps over bytes compares them once.
 * A lookup visits at most 4 (IPv4) or 16 (IPv6) nodes. Each step is one
 * byte index, two popcounts, the node's two cache lines and one word of
 * its run array (the next node's address does not depend on that word);
 * it never allocates or writes. Memory is 128 bytes per node (blocks round
 * up to a power of two) plus 4 per run; a table of N prefixes has fewer
 * than 2N + 2 nodes, and usually far fewer when prefixes share bytes.
 *
 * Not here: concurrent updates. The table is built by one thread (insert),
 * then read by any number of threads without locks. To change it, build a
 * new table and swap a pointer under the caller's own rule.
 */
#ifndef DRIFT_DATAPLANE_ALLOWED_IPS_H
#define DRIFT_DATAPLANE_ALLOWED_IPS_H

#include "internal/bytes.h"
#include "proto/addr.h"
#include "proto/wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum allowed_ips_limit {
	ALLOWED_IPS_MAX_PEERS = 4096,
	ALLOWED_IPS_MAX_LINE_BYTES = 64 * 1024,	       /* a peers-file line, without '\n' */
	ALLOWED_IPS_MAX_FILE_BYTES = 16 * 1024 * 1024, /* the peers file */
};

/* Where the addresses sit in an IP header (RFC 791, RFC 8200). */
enum allowed_ips_ip_offset {
	ALLOWED_IPS_V4_HDR_BYTES = 20,
	ALLOWED_IPS_V4_SRC = 12,
	ALLOWED_IPS_V4_DST = 16,
	ALLOWED_IPS_V6_HDR_BYTES = 40,
	ALLOWED_IPS_V6_SRC = 8,
	ALLOWED_IPS_V6_DST = 24,
};

struct allowed_ips_inner; /* build side only, defined in allowed_ips.c */

/*
 * One trie node, 128 bytes (two cache lines). A node's
 * children sit next to each other in one block, in byte order, so the
 * child for byte b is kids[rank of b] with no pointer array in between.
 * Blocks are 128-aligned; the type is not, so a caller may malloc a struct
 * that embeds the table. Written only by allowed_ips_insert(), which may
 * move a node when its parent gains a child; only the parent points at it. Slot 0 means
 * "no prefix"; other slots index values[].
 */
struct allowed_ips_node {
	uint64_t child_bm[4];		 /* bit b: kids[] has a node for byte value b */
	uint64_t run_bm[4];		 /* bit b: a run of run_slot[] starts at b; bit 0 always */
	uint8_t child_rank[4];		 /* set bits of child_bm in the words before word w */
	uint8_t run_rank[4];		 /* set bits of run_bm in the words before word w */
	uint8_t depth;			 /* the address byte this node branches on */
	struct allowed_ips_node *kids;	 /* block of popcount(child_bm) nodes */
	const uint32_t *run_slot;	 /* longest prefix inside this node, per run; 0 none */
	uint64_t key[2];		 /* address bytes 0..depth-1 of this node, big-endian */
	struct allowed_ips_inner *inner; /* build side: the prefixes that end here */
	uint16_t n_inner, cap_inner;
};

_Static_assert(sizeof(struct allowed_ips_node) == 128, "a node is two cache lines");

/*
 * The table; callers embed it (it holds no pointer into itself, so it may
 * be moved by copy). root[0] is IPv4, root[1] IPv6, both at depth 0.
 */
struct allowed_ips {
	struct allowed_ips_node root[2];
	uint32_t default_slot[2]; /* slot of the /0 route per family; 0 none */
	uint32_t *values;	  /* [cap_slots] values[slot]; values[0] unused */
	uint32_t n_slots;	  /* slots in use, counting the unused slot 0 */
	uint32_t cap_slots;
	size_t n_nodes; /* both tries, roots included (memory accounting) */
};

/*
 * Sets up an empty table. Returns 0 or -ENOMEM (t is then zeroed and
 * allowed_ips_fini() is still safe).
 */
int allowed_ips_init(struct allowed_ips *t);

/* Frees everything and zeroes t; calling it twice is safe. */
void allowed_ips_fini(struct allowed_ips *t);

/*
 * Adds family ADDR_IPV4 (ip[0..3]) or ADDR_IPV6 (ip[0..15]) prefix ip/len,
 * len <= 32 or 128; host bits beyond len are ignored. Inserting the same
 * prefix again replaces its value. Returns 0, -EINVAL (bad family or
 * length) or -ENOMEM (the lookup results are then as before the call).
 * Not safe against concurrent lookups or inserts.
 */
int allowed_ips_insert(struct allowed_ips *t, uint8_t family, const uint8_t *ip, uint8_t len,
		       uint32_t value);

/* ---- fast path: any thread, no locks, no allocation, no writes ---------------------- */

/* Bits 0..bit of a 64-bit word (bit 63 wraps 2 << 63 to 0, then to all ones). */
static inline uint64_t allowed_ips_upto(unsigned bit)
{
	return (2ULL << bit) - 1;
}

/* Without the POPCNT instruction the builtin is a libgcc call: SWAR is faster. */
static inline unsigned allowed_ips_popcount(uint64_t x)
{
#if defined(__POPCNT__) || defined(__aarch64__)
	return (unsigned)__builtin_popcountll(x);
#else
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((x * 0x0101010101010101ULL) >> 56);
#endif
}

/*
 * True when addr (big-endian words) starts with node n's first n->depth
 * bytes. Only needed after a jump over compressed levels; depth >= 1 there.
 */
static inline bool allowed_ips_key_match(const struct allowed_ips_node *n, const uint64_t addr[2])
{
	unsigned bits = n->depth * 8u;
	uint64_t m0 = bits >= 64 ? ~0ULL : ~0ULL << (64 - bits);
	uint64_t m1 = bits > 64 ? ~0ULL << (128 - bits) : 0;

	return (((addr[0] ^ n->key[0]) & m0) | ((addr[1] ^ n->key[1]) & m1)) == 0;
}

/*
 * Walks from a root: at each node, the longest prefix inside the node that
 * covers this byte (if any) becomes the best so far, because it is longer
 * than anything above; then it follows the child for the byte, if any.
 * Returns the best slot, starting from `best` (the /0 route's slot).
 */
static inline uint32_t allowed_ips_walk(const struct allowed_ips_node *n, const uint8_t *ip,
					const uint64_t addr[2], uint32_t best)
{
	for (;;) {
		unsigned b = ip[n->depth], w = b >> 6, bit = b & 63;
		uint64_t upto = allowed_ips_upto(bit);
		const struct allowed_ips_node *c;
		uint32_t slot;

		/* run_bm bit 0 is always set, so the count below is >= 1. */
		slot = n->run_slot[n->run_rank[w] + allowed_ips_popcount(n->run_bm[w] & upto) - 1];
		if (slot)
			best = slot;
		if (!(n->child_bm[w] >> bit & 1))
			return best;
		c = &n->kids[n->child_rank[w] + allowed_ips_popcount(n->child_bm[w] & (upto >> 1))];
		if (c->depth != n->depth + 1 && !allowed_ips_key_match(c, addr))
			return best;
		n = c;
	}
}

static inline bool allowed_ips_result(const struct allowed_ips *t, uint32_t slot, uint32_t *value)
{
	if (!slot)
		return false;
	*value = t->values[slot];
	return true;
}

/* Longest match for an IPv4 address: true and *value, or false. */
static inline bool allowed_ips_lookup4(const struct allowed_ips *t, const uint8_t ip[4],
				       uint32_t *value)
{
	const uint64_t addr[2] = {(uint64_t)load_be32(ip) << 32, 0};

	return allowed_ips_result(t, allowed_ips_walk(&t->root[0], ip, addr, t->default_slot[0]),
				  value);
}

/* Longest match for an IPv6 address: true and *value, or false. */
static inline bool allowed_ips_lookup6(const struct allowed_ips *t, const uint8_t ip[16],
				       uint32_t *value)
{
	const uint64_t addr[2] = {load_be64(ip), load_be64(ip + 8)};

	return allowed_ips_result(t, allowed_ips_walk(&t->root[1], ip, addr, t->default_slot[1]),
				  value);
}

/*
 * Looks up an IP packet's destination (is_dst) or source address; the
 * version nibble of pkt[0] picks the family. False for anything that is
 * not IPv4 or IPv6, shorter than the fixed header (20 / 40 bytes), or
 * unmatched. Header fields other than the version are not validated.
 */
static inline bool allowed_ips_lookup_packet(const struct allowed_ips *t, const uint8_t *pkt,
					     size_t len, bool is_dst, uint32_t *value)
{
	if (len >= ALLOWED_IPS_V4_HDR_BYTES && pkt[0] >> 4 == 4)
		return allowed_ips_lookup4(
			t, pkt + (is_dst ? ALLOWED_IPS_V4_DST : ALLOWED_IPS_V4_SRC), value);
	if (len >= ALLOWED_IPS_V6_HDR_BYTES && pkt[0] >> 4 == 6)
		return allowed_ips_lookup6(
			t, pkt + (is_dst ? ALLOWED_IPS_V6_DST : ALLOWED_IPS_V6_SRC), value);
	return false;
}

/* ---- the peers file ------------------------------------------------------------------ */

/*
 * Text, one peer per line; '#' starts a comment to the end of the line and
 * blank lines are ignored; fields are separated by spaces or tabs and a
 * line may end in "\r\n":
 *   peer <64 hex digits: public key> [<prefix> ...]
 * e.g. "peer 0a1b...ff 10.0.0.2/32 fd00::2/128". A prefix is an address,
 * '/', and a decimal length, with no host bits set. Peer i (0-based, file
 * order) gets value i.
 */
struct allowed_ips_peers {
	uint32_t n;
	uint8_t (*pub)[WIRE_KEY_BYTES]; /* n entries, malloc'd; NULL when n is 0 */
};

/*
 * Parses len bytes of text (no terminator needed). On success returns 0,
 * replaces t's contents with the file's prefixes (t must be init'ed; what
 * it held is freed) and overwrites *peers (not freeing what it held). On
 * failure returns -1, writes "line N: what is wrong" to err (err_cap bytes,
 * truncated, always terminated when err_cap > 0) and changes neither t nor
 * peers. Refused: an unknown keyword, a key that is not 64 hex digits, a
 * prefix that does not parse or has host bits set, a duplicate public key,
 * a prefix given to two peers, more than ALLOWED_IPS_MAX_PEERS peers,
 * control characters outside comments, lines over
 * ALLOWED_IPS_MAX_LINE_BYTES. A prefix repeated on one peer's line is fine.
 */
int allowed_ips_parse_peers(struct allowed_ips *t, struct allowed_ips_peers *peers,
			    const char *text, size_t len, char *err, size_t err_cap);

/*
 * Reads the file at path (refusing one over ALLOWED_IPS_MAX_FILE_BYTES or
 * not a regular file) and parses it as above; err starts with the path.
 */
int allowed_ips_load_peers(struct allowed_ips *t, struct allowed_ips_peers *peers, const char *path,
			   char *err, size_t err_cap);

/* Frees the key array and zeroes *peers; calling it twice is safe. */
void allowed_ips_peers_free(struct allowed_ips_peers *peers);

#endif
