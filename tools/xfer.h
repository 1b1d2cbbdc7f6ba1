/* SPDX-License-Identifier: MIT */
/*
 * The two ends of `drift xfer` (cmd_xfer.c parses the command line):
 * xfer_send.c streams a file as numbered chunks with a sliding window and
 * selective retransmission; xfer_recv.c puts them back in order, acks, and
 * checks the SHA-256 the sender closes with. Both print one summary line:
 *
 *   xfer send: B bytes in T s, R Mb/s, N retransmitted, D duplicates, sha256 HEX verified
 *   xfer recv: B bytes in T s, R Mb/s, N retransmitted, D duplicates, sha256 HEX verified
 *
 * where the last word is "verified" only when the receiver matched the hash
 * (otherwise "MISMATCH" or "unconfirmed").
 */
#ifndef DRIFT_TOOLS_XFER_H
#define DRIFT_TOOLS_XFER_H

#include "drift_app.h"
#include "tools/app_link.h"

#include <stdint.h>
#include <stdio.h>

enum xfer_const {
	XFER_WINDOW_CHUNKS = 4096,    /* chunks in flight; a power of two */
	XFER_IDLE_TIMEOUT_MS = 15000, /* silence from the other end that ends a transfer */
	XFER_BATCH_MSGS = 64,	      /* messages taken per drift_app_recv() */
};

/* Sends `in` (already open) over session `s`; returns an enum cli_exit. */
int xfer_send_run(struct DriftApp *app, const struct DriftAppSession *s, FILE *in);

/* Receives into `out` (already open) from peers `o` allows; returns an enum cli_exit. */
int xfer_recv_run(struct DriftApp *app, const struct app_link_opts *o, FILE *out,
		  uint32_t wait_first_ms);

/* Prints the summary line above on stderr. */
void xfer_print_summary(const char *side, uint64_t bytes, int64_t elapsed_ns,
			uint64_t retransmitted, uint64_t duplicates, const uint8_t sha256[32],
			const char *verdict);

/* Monotonic nanoseconds. */
int64_t xfer_now_ns(void);

#endif
