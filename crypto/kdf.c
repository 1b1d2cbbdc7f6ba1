/* SPDX-License-Identifier: MIT */
/*
 * DRIFT's key derivations (WIRE.md §3, §6.2, §9.4, §14.1, §16). Each is one
 * BLAKE2b hash of an ASCII label (no NUL) followed by the listed parts, with
 * no length prefixes: the parts have fixed sizes, so the encoding is still
 * unambiguous. The digest-length parameter is the output size (8 or 32),
 * never a truncation. The PQ hybrid label (§11) is absent on purpose: no
 * wire format uses it yet.
 */
#include "crypto/kdf.h"

#include "crypto/blake2b.h"
#include "crypto/secret.h"
#include "internal/bytes.h"
#include "internal/compiler.h"

#include <stddef.h>
#include <string.h>

static const char kdf_label_peer_id[] = "drift-peer-id-v1";
static const char kdf_label_session[] = "drift-session-v2";
static const char kdf_label_cid_init[] = "drift-cid-init-v1";
static const char kdf_label_cid_resp[] = "drift-cid-resp-v1";
static const char kdf_label_rekey[] = "drift-rekey-v1";
static const char kdf_label_resume_psk[] = "drift-resume-psk-v1";
static const char kdf_label_resume_key[] = "drift-resume-key-v1";

struct kdf_part {
	const void *p;
	size_t len;
};

/* out = H_{out_len}(label || parts[0] || ... ); blake2b_final() wipes the state. */
static void derive(uint8_t *out, size_t out_len, const char *label, const struct kdf_part *parts,
		   size_t n_parts)
{
	struct blake2b_state s;

	blake2b_init(&s, out_len);
	blake2b_update(&s, label, strlen(label));
	for (size_t i = 0; i < n_parts; i++)
		blake2b_update(&s, parts[i].p, parts[i].len);
	blake2b_final(&s, out);
}

void kdf_peer_id(uint8_t out[KDF_PEER_ID_BYTES], const uint8_t static_pub[32])
{
	const struct kdf_part parts[] = {{static_pub, 32}};

	derive(out, KDF_PEER_ID_BYTES, kdf_label_peer_id, parts, ARRAY_SIZE(parts));
}

void kdf_session_key(uint8_t out[KDF_KEY_BYTES], const uint8_t static_dh[32],
		     const uint8_t eph_dh[32], const uint8_t client_nonce[KDF_NONCE_BYTES],
		     const uint8_t server_nonce[KDF_NONCE_BYTES])
{
	const struct kdf_part parts[] = {
		{static_dh, 32},
		{eph_dh, 32},
		{client_nonce, KDF_NONCE_BYTES},
		{server_nonce, KDF_NONCE_BYTES},
	};

	derive(out, KDF_KEY_BYTES, kdf_label_session, parts, ARRAY_SIZE(parts));
}

void kdf_cids(uint16_t *initiator_rx_cid, uint16_t *responder_rx_cid,
	      const uint8_t key[KDF_KEY_BYTES])
{
	const struct kdf_part parts[] = {{key, KDF_KEY_BYTES}};
	uint8_t digest[32];

	/* A CID is public, but the rest of the digest is a value derived from K. */
	derive(digest, sizeof(digest), kdf_label_cid_init, parts, ARRAY_SIZE(parts));
	*initiator_rx_cid = load_be16(digest);
	derive(digest, sizeof(digest), kdf_label_cid_resp, parts, ARRAY_SIZE(parts));
	*responder_rx_cid = load_be16(digest);
	secret_wipe(digest, sizeof(digest));
}

void kdf_rekey(uint8_t out[KDF_KEY_BYTES], const uint8_t old_key[KDF_KEY_BYTES],
	       const uint8_t salt[32])
{
	const struct kdf_part parts[] = {{old_key, KDF_KEY_BYTES}, {salt, 32}};

	derive(out, KDF_KEY_BYTES, kdf_label_rekey, parts, ARRAY_SIZE(parts));
}

void kdf_resume_psk(uint8_t out[KDF_KEY_BYTES], const uint8_t key[KDF_KEY_BYTES],
		    const uint8_t ticket_id[KDF_TICKET_ID_BYTES])
{
	const struct kdf_part parts[] = {{key, KDF_KEY_BYTES}, {ticket_id, KDF_TICKET_ID_BYTES}};

	derive(out, KDF_KEY_BYTES, kdf_label_resume_psk, parts, ARRAY_SIZE(parts));
}

void kdf_resume_key(uint8_t out[KDF_KEY_BYTES], const uint8_t psk[KDF_KEY_BYTES],
		    const uint8_t eph_dh[32], const uint8_t client_nonce[KDF_NONCE_BYTES],
		    const uint8_t server_nonce[KDF_NONCE_BYTES])
{
	const struct kdf_part parts[] = {
		{psk, KDF_KEY_BYTES},
		{eph_dh, 32},
		{client_nonce, KDF_NONCE_BYTES},
		{server_nonce, KDF_NONCE_BYTES},
	};

	derive(out, KDF_KEY_BYTES, kdf_label_resume_key, parts, ARRAY_SIZE(parts));
}
