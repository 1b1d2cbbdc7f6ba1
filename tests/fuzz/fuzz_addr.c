/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the address parser (addresses come from command lines, key
 * tools and the C API). Any accepted text must format back to text that
 * parses to the same address.
 */
#include "proto/addr.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], again[64];
	struct net_addr a, b;

	if (size >= sizeof(text))
		return 0;
	if (size)
		memcpy(text, data, size); /* data may be NULL when size is 0 */
	text[size] = 0;
	if (!addr_parse(&a, text, size & 1))
		return 0;
	addr_format(again, sizeof(again), &a);
	if (a.family != ADDR_NONE && (!addr_parse(&b, again, false) || !addr_equal(&a, &b)))
		abort();
	return 0;
}
