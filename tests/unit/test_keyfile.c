/* SPDX-License-Identifier: MIT */
/*
 * proto/keyfile: the identity_file vector byte for byte, round trip, and
 * every malformed size and magic refused without touching the output.
 */
#include "proto/keyfile.h"

#include "tests/lib/harness.h"

static void test_vector(void)
{
	uint8_t file[64], secret[32], want_secret[32], out[WIRE_KEYFILE_BYTES];
	long n = vectors_bytes("identity_file", "out.file", file, sizeof(file));

	CHECK_EQ(n, 36);
	CHECK_EQ(vectors_bytes("vector_inputs", "in.client_secret", want_secret, 32), 32);
	CHECK_EQ(keyfile_decode(secret, file, 36), KEYFILE_OK);
	CHECK_MEM(secret, want_secret, 32);
	CHECK(keyfile_encode(out, secret) == out + WIRE_KEYFILE_BYTES);
	CHECK_MEM(out, file, 36);
}

static void test_malformed(void)
{
	uint8_t buf[80] = {'D', 'R', 'F', 'T'};
	uint8_t secret[32];

	memset(secret, 0xee, sizeof(secret));
	/* 1: every size but 36 (0..79) */
	for (size_t len = 0; len < sizeof(buf); len++)
		if (len != 36)
			CHECK_EQ(keyfile_decode(secret, buf, len), KEYFILE_ERR_SIZE);
	/* 2: each magic byte wrong, and lowercase magic */
	for (int i = 0; i < 4; i++) {
		buf[i] ^= 0x20;
		CHECK_EQ(keyfile_decode(secret, buf, 36), KEYFILE_ERR_MAGIC);
		buf[i] ^= 0x20;
	}
	/* 3: output untouched by failures */
	for (int i = 0; i < 32; i++)
		CHECK_EQ(secret[i], 0xee);
	CHECK_EQ(keyfile_decode(secret, buf, 36), KEYFILE_OK);
	CHECK(strcmp(keyfile_error_name(KEYFILE_ERR_SIZE), "size is not 36 bytes") == 0);
}

int main(void)
{
	test_vector();
	test_malformed();
	return harness_finish();
}
