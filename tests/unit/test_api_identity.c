/* SPDX-License-Identifier: MIT */
/*
 * The identity calls of the public API against the vectors: the client
 * secret gives the vector's public key and peer id; NULL arguments give
 * DRIFT_ERR_INVALID_ARGUMENT; generated identities differ; free is
 * NULL-safe. Written against include/drift.h only, as an application would.
 */
#include <drift.h>

#include "tests/lib/harness.h"

static void test_from_secret(void)
{
	uint8_t secret[32], want_pub[32], want_id[8], pub[32], id8[8];
	struct DriftIdentity *id;

	vectors_bytes("vector_inputs", "in.client_secret", secret, 32);
	vectors_bytes("identity_file", "out.public_key", want_pub, 32);
	vectors_bytes("identity_file", "out.peer_id", want_id, 8);
	id = drift_identity_from_secret(secret);
	CHECK(id != NULL);
	if (!id)
		return;
	CHECK_EQ(drift_identity_public_key(id, pub), DRIFT_OK);
	CHECK_EQ(drift_identity_peer_id(id, id8), DRIFT_OK);
	CHECK_MEM(pub, want_pub, 32);
	CHECK_MEM(id8, want_id, 8);
	drift_identity_free(id);
}

static void test_generate_and_nulls(void)
{
	struct DriftIdentity *a = drift_identity_generate(), *b = drift_identity_generate();
	uint8_t pa[32], pb[32];

	CHECK(a && b);
	if (!a || !b)
		return;
	drift_identity_public_key(a, pa);
	drift_identity_public_key(b, pb);
	CHECK(memcmp(pa, pb, 32) != 0);
	CHECK(drift_identity_from_secret(NULL) == NULL);
	CHECK_EQ(drift_identity_public_key(NULL, pa), DRIFT_ERR_INVALID_ARGUMENT);
	CHECK_EQ(drift_identity_public_key(a, NULL), DRIFT_ERR_INVALID_ARGUMENT);
	CHECK_EQ(drift_identity_peer_id(NULL, pa), DRIFT_ERR_INVALID_ARGUMENT);
	CHECK_EQ(drift_identity_peer_id(a, NULL), DRIFT_ERR_INVALID_ARGUMENT);
	/* ABI values are fixed */
	CHECK_EQ(DRIFT_ERR_TIMEOUT, 8);
	CHECK_EQ(DRIFT_ERR_INTERNAL, 99);
	drift_identity_free(a);
	drift_identity_free(b);
	drift_identity_free(NULL);
}

int main(void)
{
	test_from_secret();
	test_generate_and_nulls();
	return harness_finish();
}
