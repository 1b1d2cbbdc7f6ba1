/* SPDX-License-Identifier: MIT */
/*
 * crypto/kdf: every WIRE.md derivation against vectors.txt, chained the way
 * the protocol chains them: peer ids, the handshake session key and its
 * CIDs, the rekeyed key and its CIDs, the resumption psk and the resumed
 * session key. Also that each label separates its outputs.
 */
#include "crypto/kdf.h"

#include "crypto/backend.h"
#include "internal/compiler.h"

#include "../lib/harness.h"

/* Cases 1-2: peer_id_examples. */
static void test_peer_ids(void)
{
	static const char *const keys[][2] = {
		{"in.client_pub", "out.client_peer_id"},
		{"in.server_pub", "out.server_peer_id"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		uint8_t pub[32], id[KDF_PEER_ID_BYTES], want[KDF_PEER_ID_BYTES];

		fprintf(stderr, "case %zu: peer id of %s\n", i + 1, keys[i][0]);
		CHECK_EQ(vectors_bytes("peer_id_examples", keys[i][0], pub, 32), 32);
		CHECK_EQ(vectors_bytes("peer_id_examples", keys[i][1], want, 8), 8);
		kdf_peer_id(id, pub);
		CHECK_MEM(id, want, KDF_PEER_ID_BYTES);
	}
	/* The identity_file block names the same client id. */
	{
		uint8_t pub[32], id[8], want[8];

		CHECK_EQ(vectors_bytes("identity_file", "out.public_key", pub, 32), 32);
		CHECK_EQ(vectors_bytes("identity_file", "out.peer_id", want, 8), 8);
		kdf_peer_id(id, pub);
		CHECK_MEM(id, want, 8);
	}
}

/* Case 3: session_key_v2 from its DH values and the nonces of vector_inputs. */
static void session_key(uint8_t k[KDF_KEY_BYTES])
{
	uint8_t sdh[32], edh[32], cn[16], sn[16], want[32];

	CHECK_EQ(vectors_bytes("session_key_v2", "out.static_dh", sdh, 32), 32);
	CHECK_EQ(vectors_bytes("session_key_v2", "out.ephemeral_dh", edh, 32), 32);
	CHECK_EQ(vectors_bytes("session_key_v2", "in.client_nonce", cn, 16), 16);
	CHECK_EQ(vectors_bytes("session_key_v2", "in.server_nonce", sn, 16), 16);
	CHECK_EQ(vectors_bytes("session_key_v2", "out.session_key", want, 32), 32);
	kdf_session_key(k, sdh, edh, cn, sn);
	CHECK_MEM(k, want, 32);

	/* Swapping the nonces (roles) must give another key. */
	kdf_session_key(want, sdh, edh, sn, cn);
	CHECK(memcmp(k, want, 32) != 0);
}

/* Reads a 2-byte hex CID from the vector file. */
static uint16_t vector_cid(const char *block, const char *key)
{
	uint8_t b[2] = {0};

	CHECK_EQ(vectors_bytes(block, key, b, 2), 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Cases 4-5: hs_cids (7969 / 519f) and the CIDs after the rekey (eb33 / 08e4). */
static void test_cids(const uint8_t k[KDF_KEY_BYTES], const char *block, const char *init_key,
		      const char *resp_key)
{
	uint16_t init_cid = 0, resp_cid = 0;

	kdf_cids(&init_cid, &resp_cid, k);
	CHECK_EQ(init_cid, vector_cid(block, init_key));
	CHECK_EQ(resp_cid, vector_cid(block, resp_key));
}

/* Case 6: rekey with salt 77..77. */
static void test_rekey(const uint8_t k[KDF_KEY_BYTES], uint8_t k2[KDF_KEY_BYTES])
{
	uint8_t salt[32], want[32];

	CHECK_EQ(vectors_bytes("rekey", "in.salt", salt, 32), 32);
	CHECK_EQ(vectors_bytes("rekey", "out.new_key", want, 32), 32);
	kdf_rekey(k2, k, salt);
	CHECK_MEM(k2, want, 32);
}

/* Cases 7-8: ticket psk (ticket id 88..88, handshake key), then the resumed session key. */
static void test_resumption(const uint8_t k[KDF_KEY_BYTES])
{
	uint8_t ticket[16], psk[32], want[32], edh[32], cn[16], sn[16], kr[32];

	CHECK_EQ(vectors_bytes("resumption_ticket", "in.ticket_id", ticket, 16), 16);
	CHECK_EQ(vectors_bytes("resumption_ticket", "out.psk", want, 32), 32);
	kdf_resume_psk(psk, k, ticket);
	CHECK_MEM(psk, want, 32);

	CHECK_EQ(vectors_bytes("resumption_handshake", "out.ephemeral_dh", edh, 32), 32);
	CHECK_EQ(vectors_bytes("vector_inputs", "in.resume_client_nonce", cn, 16), 16);
	CHECK_EQ(vectors_bytes("vector_inputs", "in.resume_server_nonce", sn, 16), 16);
	CHECK_EQ(vectors_bytes("resumption_handshake", "out.resumed_session_key", want, 32), 32);
	kdf_resume_key(kr, psk, edh, cn, sn);
	CHECK_MEM(kr, want, 32);
}

/* Case 9: the same inputs under different labels never collide. */
static void test_label_separation(void)
{
	uint8_t in[32] = {0}, nonce[16] = {0}, out[5][32];

	kdf_session_key(out[0], in, in, nonce, nonce);
	kdf_resume_key(out[1], in, in, nonce, nonce);
	kdf_rekey(out[2], in, in);
	kdf_resume_psk(out[3], in, nonce);
	memset(out[4], 0, 32);
	kdf_peer_id(out[4], in);
	for (int i = 0; i < 5; i++) {
		for (int j = i + 1; j < 5; j++)
			CHECK(memcmp(out[i], out[j], 8) != 0);
	}
}

int main(void)
{
	uint8_t k[32], k2[32];

	CHECK_EQ(backend_init(), 0);
	test_peer_ids();
	session_key(k);
	test_cids(k, "hs_cids", "out.initiator_rx_cid", "out.responder_rx_cid");
	test_rekey(k, k2);
	test_cids(k2, "rekey", "out.new_initiator_rx_cid", "out.new_responder_rx_cid");
	test_resumption(k);
	test_label_separation();
	return harness_finish();
}
