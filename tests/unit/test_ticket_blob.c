/* SPDX-License-Identifier: MIT */
/*
 * The 97-byte exported ticket (WIRE.md §16.2) read back by
 * engine_import_ticket(): the vector blob is accepted, and every malformed
 * or unusable blob is refused with its own error and leaves no ticket.
 */
#include "proto/engine.h"

#include "crypto/backend.h"
#include "tests/lib/harness.h"

#include <errno.h>

static struct engine *client(uint64_t unix_ms, uint8_t server_id[8])
{
	uint8_t secret[32], server_pub[32];
	struct engine_config cfg;
	struct engine *e;

	engine_config_default(&cfg);
	memset(secret, 0x11, sizeof(secret));
	e = engine_new(secret, &cfg, NULL, 0, unix_ms);
	vectors_bytes("session_key_v2", "out.server_static_pub", server_pub, 32);
	if (e)
		CHECK_EQ(engine_add_peer(e, server_pub, NULL, true, server_id), 0);
	return e;
}

int main(void)
{
	uint8_t blob[WIRE_TICKET_BLOB_BYTES], bad[WIRE_TICKET_BLOB_BYTES],
		out[WIRE_TICKET_BLOB_BYTES];
	uint8_t server_id[8];
	struct engine_peer_info info;
	struct engine *e;
	static const struct {
		size_t offset; /* byte changed */
		uint8_t xor ;
		int want;
	} cases[] = {
		/* 1: version */ {0, 0x02, -EPROTO},
		/* 2: server id does not match the key in the blob */
		{1 + 16 + 32 + 8, 0x01, -EINVAL},
		/* 3: server key changed (id no longer matches) */
		{1 + 16 + 32 + 8 + 8, 0x01, -EINVAL},
		/* 4: expiry moved into the past (top byte of the u64 cleared) */
		{1 + 16 + 32 + 3, 0x01, -ETIME},
	};

	if (backend_init() != 0)
		return 1;
	CHECK_EQ(vectors_bytes("ticket_export_blob", "out.blob", blob, sizeof(blob)), 97);
	/* The vector's ticket expires at 1700000000000 ms: import at an earlier time. */
	e = client(UINT64_C(1699999000000), server_id);
	if (!e)
		return harness_finish();
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		memcpy(bad, blob, sizeof(bad));
		bad[cases[i].offset] ^= cases[i].xor ;
		CHECK_EQ(engine_import_ticket(e, 0, bad), cases[i].want);
		engine_peer_info(e, server_id, &info);
		CHECK(!info.has_ticket);
	}
	/* 5: valid: imported, and exported again byte for byte. */
	CHECK_EQ(engine_import_ticket(e, 0, blob), 0);
	engine_peer_info(e, server_id, &info);
	CHECK(info.has_ticket);
	CHECK_EQ(engine_export_ticket(e, server_id, out), 0);
	CHECK_MEM(out, blob, sizeof(blob));
	engine_free(e);

	/* 6: expired at import time. */
	e = client(UINT64_C(1700000000001), server_id);
	CHECK_EQ(engine_import_ticket(e, 0, blob), -ETIME);
	engine_free(e);

	/* 7: a node that never registered the server. */
	{
		uint8_t secret[32];
		struct engine_config cfg;

		engine_config_default(&cfg);
		memset(secret, 0x11, sizeof(secret));
		e = engine_new(secret, &cfg, NULL, 0, UINT64_C(1699999000000));
		CHECK_EQ(engine_import_ticket(e, 0, blob), -ENOENT);
		engine_free(e);
	}
	return harness_finish();
}
