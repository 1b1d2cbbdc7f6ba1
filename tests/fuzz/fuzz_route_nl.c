/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the rtnetlink answer parsers of control/route_nl.c. The
 * first four bytes are the sequence number to look for; the rest is one
 * datagram as the kernel would send it. Each parser runs with that seq and
 * with 0; a found neighbour must have written the MAC.
 */
#include "control/route_nl.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ip[16] = {10, 0, 0, 9}, mac[6];
	struct route_nl_route r;
	struct route_nl_link l;
	uint32_t seqs[2] = {0, 0};

	if (size < 4)
		return 0;
	memcpy(&seqs[0], data, 4);
	data += 4;
	size -= 4;
	for (int i = 0; i < 2; i++) {
		int rc = route_nl_parse_route(data, size, seqs[i], &r);

		if (rc > 1 || (rc == 0 && !r.oif))
			abort();
		memset(mac, 0xee, sizeof(mac));
		rc = route_nl_parse_neigh(data, size, seqs[i], ADDR_IPV4, ip, 5, mac);
		if (rc > 1)
			abort();
		rc = route_nl_parse_neigh(data, size, seqs[i], ADDR_IPV6, ip, 5, mac);
		if (rc > 1)
			abort();
		rc = route_nl_parse_link(data, size, seqs[i], &l);
		if (rc > 1)
			abort();
	}
	route_nl_is_change(data, size);
	return 0;
}
