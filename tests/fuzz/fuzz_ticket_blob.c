/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: engine_import_ticket(), the reader of exported ticket files.
 * Inputs shorter than 97 bytes are padded with zeros, longer ones cut; a
 * blob that is accepted must export back to the same 97 bytes.
 */
#include "proto/engine.h"

#include "crypto/backend.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct engine *e;
	uint8_t blob[WIRE_TICKET_BLOB_BYTES] = {0}, out[WIRE_TICKET_BLOB_BYTES];
	const uint8_t *server_pub = blob + 1 + 16 + 32 + 8 + 8;
	uint8_t id[WIRE_PEER_ID_BYTES];

	if (!e) {
		struct engine_config cfg;
		uint8_t secret[32];

		if (backend_init() != 0)
			abort();
		engine_config_default(&cfg);
		memset(secret, 0x11, sizeof(secret));
		e = engine_new(secret, &cfg, NULL, 0, 1000);
		if (!e)
			abort();
	}
	if (size) /* data may be NULL when size is 0 */
		memcpy(blob, data, size < sizeof(blob) ? size : sizeof(blob));
	/* Register the key the blob names, so the deeper checks are reached too. */
	if (engine_add_peer(e, server_pub, NULL, true, id) != 0)
		return 0;
	if (engine_import_ticket(e, 0, blob) != 0)
		return 0;
	if (engine_export_ticket(e, id, out) != 0 || memcmp(out, blob, sizeof(out)) != 0)
		abort();
	return 0;
}
