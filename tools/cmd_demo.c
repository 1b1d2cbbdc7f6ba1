/* SPDX-License-Identifier: MIT */
/*
 * drift demo: the Foundation-stage walk-through. Two identities (alice and
 * bob) agree on a static X25519 secret, derive a session key the way the
 * HELLO / HELLO_ACK handshake does (static DH + ephemeral DH + two random
 * nonces, WIRE.md §9.4), and alice seals one long-header DATA packet for
 * bob (§5, §7); bob decodes and opens it, and tampered copies are shown to
 * fail. Everything happens in this process: no socket, no file, no state
 * machine. Every secret lives in one struct that is wiped on exit.
 */
#include "tools/cli.h"

#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/rng.h"
#include "crypto/secret.h"
#include "crypto/x25519.h"
#include "proto/header.h"
#include "tools/hex.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char demo_message[] = "hello bob, this is alice speaking DRIFT";

enum {
	DEMO_SEQ = 1,
	DEMO_HEX_LINE_BYTES = 32, /* datagram dump: 64 hex digits per line */
};

struct demo_party {
	uint8_t secret[WIRE_KEY_BYTES];
	uint8_t pub[WIRE_KEY_BYTES];
	uint8_t id[WIRE_PEER_ID_BYTES];
	uint8_t eph_secret[WIRE_KEY_BYTES];
	uint8_t eph_pub[WIRE_KEY_BYTES];
	uint8_t static_dh[WIRE_KEY_BYTES];
	uint8_t eph_dh[WIRE_KEY_BYTES];
	uint8_t session_key[WIRE_KEY_BYTES];
};

/* All demo state; secret_wipe()d as a whole before the command returns. */
struct demo {
	struct demo_party alice;
	struct demo_party bob;
	uint8_t client_nonce[WIRE_HS_NONCE_BYTES];
	uint8_t server_nonce[WIRE_HS_NONCE_BYTES];
	uint8_t datagram[WIRE_MAX_PACKET_BYTES];
	size_t datagram_len;
	uint8_t scratch[WIRE_MAX_PACKET_BYTES]; /* tampered copies and opened plaintext */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift demo\n"
		"\n"
		"Walk through DRIFT's cryptography in one process: create two identities (alice\n"
		"and bob), agree on a static X25519 secret, derive a session key as the handshake\n"
		"does, seal one DATA packet from alice to bob, open it on bob's side, and show\n"
		"that tampered copies are rejected. Nothing is sent or written; all keys are\n"
		"throw-away. Exits 0 only if every step behaved as expected.\n"
		"\n"
		"Options:\n"
		"  -h, --help    show this help\n");
}

/* "    <label><hex>" on one line. */
static void print_hex(const char *label, const uint8_t *p, size_t len)
{
	char hex[2 * WIRE_MAX_PACKET_BYTES + 1];

	printf("    %s%s\n", label, hex_encode(hex, p, len));
}

static void make_identity(struct demo_party *p, const char *name)
{
	x25519_keypair(p->pub, p->secret);
	kdf_peer_id(p->id, p->pub);
	printf("    %s\n", name);
	cli_print_identity(stdout, "      ", p->pub);
}

/* Step 2: each side combines its secret with the other's public key. */
static bool static_agreement(struct demo *d)
{
	bool ok = x25519_shared(d->alice.static_dh, d->alice.secret, d->bob.pub) &&
		  x25519_shared(d->bob.static_dh, d->bob.secret, d->alice.pub);

	print_hex("alice: ", d->alice.static_dh, WIRE_KEY_BYTES);
	print_hex("bob:   ", d->bob.static_dh, WIRE_KEY_BYTES);
	ok = ok && secret_equal(d->alice.static_dh, d->bob.static_dh, WIRE_KEY_BYTES);
	printf("    -> %s\n",
	       ok ? "the same shared secret on both sides (compared in constant time)"
		  : "MISMATCH: the two sides disagree");
	return ok;
}

/* Step 3: fresh ephemerals and nonces, then K on each side (WIRE.md §9.4). */
static bool session_keys(struct demo *d)
{
	struct demo_party *a = &d->alice, *b = &d->bob;
	bool ok;

	x25519_keypair(a->eph_pub, a->eph_secret);
	x25519_keypair(b->eph_pub, b->eph_secret);
	rng_bytes(d->client_nonce, sizeof(d->client_nonce));
	rng_bytes(d->server_nonce, sizeof(d->server_nonce));
	ok = x25519_shared(a->eph_dh, a->eph_secret, b->eph_pub) &&
	     x25519_shared(b->eph_dh, b->eph_secret, a->eph_pub);
	kdf_session_key(a->session_key, a->static_dh, a->eph_dh, d->client_nonce, d->server_nonce);
	kdf_session_key(b->session_key, b->static_dh, b->eph_dh, d->client_nonce, d->server_nonce);

	print_hex("alice ephemeral public: ", a->eph_pub, WIRE_KEY_BYTES);
	print_hex("bob ephemeral public:   ", b->eph_pub, WIRE_KEY_BYTES);
	print_hex("client nonce (alice):   ", d->client_nonce, WIRE_HS_NONCE_BYTES);
	print_hex("server nonce (bob):     ", d->server_nonce, WIRE_HS_NONCE_BYTES);
	printf("    K = BLAKE2b-256(\"drift-session-v2\" || static_dh || eph_dh || client_nonce "
	       "|| server_nonce)\n");
	print_hex("alice K: ", a->session_key, WIRE_KEY_BYTES);
	print_hex("bob K:   ", b->session_key, WIRE_KEY_BYTES);
	ok = ok && secret_equal(a->session_key, b->session_key, WIRE_KEY_BYTES);
	printf("    -> %s\n", ok ? "both sides hold the same session key; the ephemeral secrets "
				   "are no longer needed"
				 : "MISMATCH: the session keys differ");
	secret_wipe(a->eph_secret, WIRE_KEY_BYTES);
	secret_wipe(b->eph_secret, WIRE_KEY_BYTES);
	return ok;
}

/* The datagram, 32 bytes a line with offsets, below a one-line summary. */
static void print_datagram(const uint8_t *p, size_t len, size_t pt_len)
{
	char hex[2 * DEMO_HEX_LINE_BYTES + 1];

	printf("    datagram:  %zu bytes = %d header + %zu ciphertext + %d tag\n", len,
	       WIRE_LONG_HDR_BYTES, pt_len, WIRE_TAG_BYTES);
	for (size_t off = 0; off < len; off += DEMO_HEX_LINE_BYTES) {
		size_t n = len - off < DEMO_HEX_LINE_BYTES ? len - off : DEMO_HEX_LINE_BYTES;

		printf("      %04zx  %s\n", off, hex_encode(hex, p + off, n));
	}
}

/* Step 4: alice builds the long header, then seals the message after it. */
static bool alice_send(struct demo *d)
{
	size_t pt_len = strlen(demo_message);
	struct long_header h = {
		.type = WIRE_TYPE_DATA,
		.seq = DEMO_SEQ,
		.hop_ttl = 1,
		.payload_len = (uint16_t)pt_len,
	};
	uint8_t aad[WIRE_LONG_HDR_BYTES];
	uint8_t nonce[WIRE_AEAD_NONCE_BYTES];
	char hex[2 * WIRE_AEAD_NONCE_BYTES + 1];

	memcpy(h.src_id, d->alice.id, WIRE_PEER_ID_BYTES);
	memcpy(h.dst_id, d->bob.id, WIRE_PEER_ID_BYTES);
	header_long_encode(d->datagram, &h);
	header_long_aad(aad, d->datagram);
	header_nonce(nonce, WIRE_DIR_INITIATOR, WIRE_TYPE_DATA, DEMO_SEQ);
	if (aead_seal_once(d->alice.session_key, nonce, aad, sizeof(aad),
			   (const uint8_t *)demo_message, pt_len,
			   d->datagram + WIRE_LONG_HDR_BYTES)) {
		printf("    -> FAILED: the AEAD refused to seal\n");
		return false;
	}
	d->datagram_len = WIRE_LONG_HDR_BYTES + pt_len + WIRE_TAG_BYTES;

	printf("    plaintext: \"%s\" (%zu bytes)\n", demo_message, pt_len);
	printf("    nonce:     %s (direction 0, type 3, seq 1)\n",
	       hex_encode(hex, nonce, sizeof(nonce)));
	printf("    AAD:       the 36 header bytes with hop_ttl (byte 28) zeroed\n");
	print_datagram(d->datagram, d->datagram_len, pt_len);
	return true;
}

/*
 * Bob's receive path for one datagram: decode the header, check it is DATA
 * for bob, rebuild AAD and nonce from the received bytes, open. Returns
 * NULL on success (plaintext in d->scratch), else why it was rejected.
 */
static const char *bob_receive(struct demo *d, const uint8_t *pkt, size_t len,
			       struct long_header *h, size_t *pt_len)
{
	uint8_t aad[WIRE_LONG_HDR_BYTES];
	uint8_t nonce[WIRE_AEAD_NONCE_BYTES];
	enum header_error e;
	size_t body_len;

	e = header_long_decode(h, &body_len, pkt, len);
	if (e != HEADER_OK)
		return header_error_name(e);
	if (h->type != WIRE_TYPE_DATA)
		return "not a DATA packet";
	if (memcmp(h->dst_id, d->bob.id, WIRE_PEER_ID_BYTES) != 0)
		return "not addressed to bob";
	if (body_len < WIRE_TAG_BYTES)
		return "body shorter than the tag";
	header_long_aad(aad, pkt);
	header_nonce(nonce, WIRE_DIR_INITIATOR, h->type, h->seq);
	if (!aead_open_once(d->bob.session_key, nonce, aad, sizeof(aad), pkt + WIRE_LONG_HDR_BYTES,
			    body_len, d->scratch))
		return "the tag does not verify";
	*pt_len = body_len - WIRE_TAG_BYTES;
	return NULL;
}

/* Step 5: bob opens the genuine datagram and shows what he got. */
static bool bob_open(struct demo *d)
{
	char src[2 * WIRE_PEER_ID_BYTES + 1];
	struct long_header h;
	const char *why;
	size_t pt_len = 0;
	bool ok;

	why = bob_receive(d, d->datagram, d->datagram_len, &h, &pt_len);
	if (why) {
		printf("    -> FAILED: %s\n", why);
		return false;
	}
	printf("    header:    %s, seq %u, hop_ttl %u, payload_len %u, from %s (alice)\n",
	       header_type_name(h.type), (unsigned)h.seq, (unsigned)h.hop_ttl,
	       (unsigned)h.payload_len, hex_encode(src, h.src_id, sizeof(h.src_id)));
	ok = pt_len == strlen(demo_message) && memcmp(d->scratch, demo_message, pt_len) == 0;
	printf("    opened:    \"%.*s\" (%zu bytes)\n", (int)pt_len, (const char *)d->scratch,
	       pt_len);
	printf("    -> %s\n",
	       ok ? "bob reads exactly what alice sent" : "MISMATCH: wrong plaintext");
	return ok;
}

/* One tampering case: change `pkt[offset]` by XOR with `mask`. */
struct demo_tamper {
	const char *what;
	size_t offset; /* from the start, or from the end when from_end is set */
	bool from_end;
	uint8_t mask;
	bool should_open;
	const char *note;
};

static const struct demo_tamper demo_tampers[] = {
	{"flip one bit of the ciphertext (byte 40)", 40, false, 0x01, false, NULL},
	{"flip one bit of the tag (last byte)", 1, true, 0x80, false, NULL},
	{"change the header's seq from 1 to 3 (byte 7)", 7, false, 0x02, false, NULL},
	{"change the src peer id (byte 12)", 12, false, 0x10, false, NULL},
	{"lower hop_ttl from 1 to 0 (byte 28)", WIRE_OFF_HOP_TTL, false, 0x01, true,
	 "relays may, it is outside the AAD"},
};

/* Step 6: every case on a fresh copy; returns false if any surprised us. */
static bool tampering(struct demo *d)
{
	uint8_t copy[WIRE_MAX_PACKET_BYTES];
	bool all_ok = true;

	for (size_t i = 0; i < sizeof(demo_tampers) / sizeof(demo_tampers[0]); i++) {
		const struct demo_tamper *t = &demo_tampers[i];
		size_t at = t->from_end ? d->datagram_len - t->offset : t->offset;
		struct long_header h;
		const char *why;
		size_t pt_len;
		bool ok;

		memcpy(copy, d->datagram, d->datagram_len);
		copy[at] ^= t->mask;
		why = bob_receive(d, copy, d->datagram_len, &h, &pt_len);
		ok = (why == NULL) == t->should_open;
		all_ok = all_ok && ok;
		printf("    %-44s -> %s%s%s%s\n", t->what, why ? "rejected: " : "accepted",
		       why ? why : "", t->note ? "; " : "", t->note ? t->note : "");
		if (!ok)
			printf("      UNEXPECTED: this copy should have been %s\n",
			       t->should_open ? "accepted" : "rejected");
	}
	return all_ok;
}

static bool run_demo(struct demo *d)
{
	printf("drift demo: two identities, a session key and one encrypted DATA packet.\n"
	       "Everything happens inside this process; nothing is sent or stored.\n\n");

	printf("[1] Identities: an X25519 key pair each; peer id = "
	       "BLAKE2b-64(\"drift-peer-id-v1\" || public key)\n");
	make_identity(&d->alice, "alice");
	make_identity(&d->bob, "bob");

	printf("\n[2] Static-static X25519: alice uses her secret and bob's public key, bob the "
	       "reverse\n");
	if (!static_agreement(d))
		return false;

	printf("\n[3] Session key, derived as the HELLO / HELLO_ACK handshake does (WIRE.md "
	       "§9.4)\n");
	if (!session_keys(d))
		return false;

	printf("\n[4] alice -> bob: a long-header DATA packet (type 3, seq 1, hop_ttl 1), "
	       "ChaCha20-Poly1305\n");
	if (!alice_send(d))
		return false;

	printf("\n[5] bob receives it: decode the header, rebuild nonce and AAD, open\n");
	if (!bob_open(d))
		return false;

	printf("\n[6] Tampering: each change is made to a fresh copy of the datagram\n");
	return tampering(d);
}

int cmd_demo_main(int argc, char **argv)
{
	struct demo d;
	bool ok;
	int c;

	c = cli_parse_help_only("demo", argc, argv, usage);
	if (c >= 0)
		return c;

	memset(&d, 0, sizeof(d));
	ok = run_demo(&d);
	secret_wipe(&d, sizeof(d));
	printf("\n%s\n", ok ? "All steps behaved as expected." : "The demo FAILED (see above).");
	if (cli_finish_stdout("demo") != CLI_EXIT_OK)
		return CLI_EXIT_FAILURE;
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
