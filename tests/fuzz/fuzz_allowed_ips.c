/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the peers-file parser and the trie behind it
 * (dataplane/allowed_ips.h).
 *
 * Every input is parsed as a peers file. A refusal must say "line N: ..."
 * and leave the table and the peers as they were. An accepted file is read
 * again by a deliberately naive tokenizer here: the peer keys must agree,
 * and lookups (at, inside and just outside every prefix, plus addresses
 * hashed from the input) must give what a linear scan gives.
 *
 * An input whose first byte is 0 is also read as raw inserts, to reach trie
 * shapes that text reaches only slowly:
 *   0, then records [ctl: bit 0 = IPv6] [len] [4 or 16 address bytes]
 * A length above the family's maximum must be refused with -EINVAL; among
 * equal prefixes the later insert wins.
 *
 * Any broken invariant calls abort().
 */
#include "dataplane/allowed_ips.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	PROBED_PREFIXES = 512, /* prefixes probed around, to bound the time per input */
	HASHED_PROBES = 32,    /* per family */
	MARK_VALUE = 0x5eed,
};

struct ref_entry {
	uint8_t is_v6;
	uint8_t len;
	uint8_t ip[16]; /* masked to len */
	uint32_t value;
};

struct ref {
	struct ref_entry *e;
	size_t n, cap;
};

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void ref_add(struct ref *r, bool is_v6, const uint8_t *ip, unsigned len, uint32_t value)
{
	struct ref_entry *e;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->e = realloc(r->e, r->cap * sizeof(*r->e));
		check(r->e != NULL);
	}
	e = &r->e[r->n++];
	memset(e, 0, sizeof(*e));
	e->is_v6 = is_v6;
	e->len = (uint8_t)len;
	e->value = value;
	for (unsigned bit = 0; bit < len; bit++)
		e->ip[bit / 8] |= ip[bit / 8] & (0x80 >> (bit % 8));
}

static bool covers(const struct ref_entry *e, const uint8_t *ip)
{
	for (unsigned bit = 0; bit < e->len; bit++)
		if ((e->ip[bit / 8] ^ ip[bit / 8]) & (0x80 >> (bit % 8)))
			return false;
	return true;
}

/* Linear longest match; the later of two equal prefixes wins. */
static bool ref_lookup(const struct ref *r, bool is_v6, const uint8_t *ip, uint32_t *value)
{
	int best = -1;

	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].is_v6 == is_v6 && r->e[i].len >= best && covers(&r->e[i], ip)) {
			best = r->e[i].len;
			*value = r->e[i].value;
		}
	return best >= 0;
}

/* One address through both lookups and through a packet header, both ways. */
static void probe(const struct allowed_ips *t, const struct ref *r, bool is_v6, const uint8_t *ip)
{
	uint8_t pkt[40] = {0};
	uint32_t want = 0, got = 0, got_pkt = 0;
	bool has_want = ref_lookup(r, is_v6, ip, &want);
	bool has = is_v6 ? allowed_ips_lookup6(t, ip, &got) : allowed_ips_lookup4(t, ip, &got);

	check(has == has_want && (!has || got == want));
	pkt[0] = is_v6 ? 0x60 : 0x45;
	memcpy(pkt + (is_v6 ? ALLOWED_IPS_V6_DST : ALLOWED_IPS_V4_DST), ip, is_v6 ? 16 : 4);
	has = allowed_ips_lookup_packet(t, pkt, is_v6 ? 40 : 20, true, &got_pkt);
	check(has == has_want && (!has || got_pkt == want));
	check(!allowed_ips_lookup_packet(t, pkt, is_v6 ? 39 : 19, true, &got_pkt));
}

static void flip(uint8_t *ip, unsigned bit)
{
	ip[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

/* Probes at, across and beside every prefix, then at addresses hashed from the input. */
static void probe_all(const struct allowed_ips *t, const struct ref *r, const uint8_t *data,
		      size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < r->n && i < PROBED_PREFIXES; i++) {
		const struct ref_entry *e = &r->e[i];
		unsigned max = e->is_v6 ? 128 : 32;
		uint8_t ip[16];

		memcpy(ip, e->ip, 16);
		probe(t, r, e->is_v6, ip); /* the first address */
		for (unsigned bit = e->len; bit < max; bit++)
			flip(ip, bit);
		probe(t, r, e->is_v6, ip); /* the last address */
		if (e->len > 0) {
			flip(ip, e->len - 1u);
			probe(t, r, e->is_v6, ip); /* just outside */
		}
	}
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ULL;
	for (int i = 0; i < 2 * HASHED_PROBES; i++) {
		uint8_t ip[16];

		for (int b = 0; b < 16; b++) {
			h = (h ^ (uint64_t)b) * 0x100000001b3ULL;
			ip[b] = (uint8_t)(h >> 29);
		}
		/* Half of them start like a prefix in the table, to walk deep. */
		if (r->n && i % 2)
			memcpy(ip, r->e[h % r->n].ip, 8 + h % 8);
		probe(t, r, i < HASHED_PROBES ? false : true, ip);
	}
}

static int nibble(char c)
{
	const char *hex = "0123456789abcdef", *p;

	if (c >= 'A' && c <= 'F')
		c = (char)(c - 'A' + 'a');
	p = c ? strchr(hex, c) : NULL;
	return p ? (int)(p - hex) : -1;
}

/* The accepted text again, naively: lines, '#', blank-separated fields. */
static void reread(struct ref *r, const struct allowed_ips_peers *peers, const char *text,
		   size_t len)
{
	uint32_t n_peers = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos), *hash;
		size_t end = nl ? (size_t)(nl - text) : len, line_len;
		char line[ALLOWED_IPS_MAX_LINE_BYTES + 1], *save = NULL, *tok;

		line_len = end - pos;
		check(line_len <= ALLOWED_IPS_MAX_LINE_BYTES);
		memcpy(line, text + pos, line_len);
		line[line_len] = 0;
		hash = strchr(line, '#');
		if (hash)
			line[hash - line] = 0;
		pos = end + 1;
		tok = strtok_r(line, " \t\r", &save);
		if (!tok)
			continue;
		check(strcmp(tok, "peer") == 0);
		tok = strtok_r(NULL, " \t\r", &save);
		check(tok && strlen(tok) == 2 * WIRE_KEY_BYTES && n_peers < peers->n);
		for (int i = 0; i < WIRE_KEY_BYTES; i++)
			check(nibble(tok[2 * i]) >= 0 && nibble(tok[2 * i + 1]) >= 0 &&
			      peers->pub[n_peers][i] ==
				      (nibble(tok[2 * i]) << 4 | nibble(tok[2 * i + 1])));
		while ((tok = strtok_r(NULL, " \t\r", &save))) {
			char *slash = strchr(tok, '/');
			uint8_t ip[16] = {0};
			bool is_v6 = strchr(tok, ':') != NULL;

			check(slash != NULL);
			*slash = 0;
			check(inet_pton(is_v6 ? AF_INET6 : AF_INET, tok, ip) == 1);
			ref_add(r, is_v6, ip, (unsigned)atoi(slash + 1), n_peers);
			/* No host bits were accepted. */
			check(memcmp(r->e[r->n - 1].ip, ip, 16) == 0);
		}
		n_peers++;
	}
	check(n_peers == peers->n);
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	static const uint8_t mark[4] = {203, 0, 113, 9};
	struct allowed_ips t;
	struct allowed_ips_peers peers = {0};
	struct ref r = {0};
	char err[256];
	uint32_t v = 0;

	if (allowed_ips_init(&t) != 0)
		return;
	check(allowed_ips_insert(&t, ADDR_IPV4, mark, 24, MARK_VALUE) == 0);
	if (allowed_ips_parse_peers(&t, &peers, (const char *)data, size, err, sizeof(err)) != 0) {
		check(strncmp(err, "line ", 5) == 0);
		check(peers.n == 0 && peers.pub == NULL);
		check(allowed_ips_lookup4(&t, mark, &v) && v == MARK_VALUE);
		allowed_ips_fini(&t);
		return;
	}
	check(peers.n <= ALLOWED_IPS_MAX_PEERS && (peers.n == 0) == (peers.pub == NULL));
	reread(&r, &peers, (const char *)data, size);
	probe(&t, &r, false, mark); /* the old contents are gone unless the file has them */
	probe_all(&t, &r, data, size);
	free(r.e);
	allowed_ips_peers_free(&peers);
	allowed_ips_fini(&t);
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
	struct allowed_ips t;
	struct ref r = {0};
	size_t pos = 1;
	uint32_t op = 0;

	if (allowed_ips_init(&t) != 0)
		return;
	while (size - pos >= 2) {
		bool is_v6 = data[pos] & 1;
		unsigned len = data[pos + 1], n_bytes = is_v6 ? 16 : 4;
		int rc;

		if (size - pos - 2 < n_bytes)
			break;
		rc = allowed_ips_insert(&t, is_v6 ? ADDR_IPV6 : ADDR_IPV4, data + pos + 2,
					(uint8_t)len, op);
		if (len > 8 * n_bytes) {
			check(rc == -EINVAL);
		} else {
			check(rc == 0);
			ref_add(&r, is_v6, data + pos + 2, len, op);
		}
		pos += 2 + n_bytes;
		op++;
	}
	check(t.n_nodes < 2 * r.n + 3);
	probe_all(&t, &r, data, size);
	free(r.e);
	allowed_ips_fini(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_text(data, size);
	if (size && data[0] == 0)
		fuzz_raw(data, size);
	return 0;
}
