/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the drift-dp receive stages on frames as they come off a
 * port. A small table in a temp directory holds three sessions: slots 0 and
 * 1 share receive CID 0x1234 under different keys (a collision, WIRE.md
 * §24 Q6), slot 2 has CID 0x5678 and no application channel. driftd reads
 * as attached, so long headers and unknown CIDs are punted. Each input is
 * one frame from 10.0.0.1:7878; the app and event rings are drained after
 * it so they never fill. Any input must be handled without a crash, a
 * sanitizer report, or an application message that is not an exact
 * authenticated payload.
 */
#include "crypto/backend.h"
#include "dataplane/app_channel.h"
#include "dataplane/port_mem.h"
#include "dataplane/rx.h"
#include "dataplane/session_table.h"
#include "dataplane/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct session_table table;
static struct app_channel ch[SHM_APP_CHANNELS];
static struct worker worker;
static struct port *end_a, *end_b;
static const struct net_addr peer = {.family = ADDR_IPV4, .ip = {10, 0, 0, 1}, .port = 7878};

/* Slot i: key bytes all 0x40 + i, epoch i + 1, we are the responder (tx_dir 1). */
static void install(uint32_t i, uint16_t rx_cid, int32_t chan)
{
	struct shm_slot *s = shm_slot_at(table.hdr, i);

	session_table_write_begin(s);
	s->state = SHM_SLOT_ACTIVE;
	s->generation = 1;
	s->app_channel = chan;
	s->addr = peer;
	s->ep[0].epoch_id = i + 1;
	s->ep[0].flags = SHM_EPOCH_RX | SHM_EPOCH_TX;
	s->ep[0].tx_dir = 1;
	s->ep[0].rx_cid = rx_cid;
	s->ep[0].tx_cid = 0x4321;
	s->ep[0].rx_until_ms = UINT64_MAX;
	memset(s->ep[0].key, 0x40 + (int)i, WIRE_KEY_BYTES);
	store_release(&s->tx_word, (uint64_t)(i + 1) << 32 | 1);
	session_table_write_end(table.hdr, s);
}

static void setup(void)
{
	char dir[] = "/tmp/fuzz-dp-rx-XXXXXX", path[64];
	struct worker_config cfg = {0, -1, NULL, NULL, ch};

	if (backend_init() != 0 || !mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/table", dir);
	if (session_table_create(&table, path, 4, 1) || app_channel_open_all(ch, dir, 1) ||
	    port_mem_pair_new(&peer, &peer, &end_a, &end_b))
		abort();
	/* The mappings keep the files alive; nothing is left behind in /tmp. */
	unlink(path);
	app_channel_unlink_all(dir);
	rmdir(dir);
	install(0, 0x1234, 0);
	install(1, 0x1234, 0);
	install(2, 0x5678, -1);
	store_release(&table.hdr->driftd_pid, 1u);
	cfg.port = end_b;
	cfg.table = table.hdr;
	if (worker_init(&worker, &cfg))
		abort();
}

/* Takes everything the stages produced; checks what reached the application. */
static void drain(void)
{
	struct spsc_ring *rx = shm_app_rx_ring(ch[0].hdr, 0);
	struct spsc_ring *ev = shm_event_ring_at(table.hdr, 0);
	uint32_t at, n;

	n = spsc_ring_peek(rx, SHM_APP_RING_ENTRIES, &at);
	for (uint32_t i = 0; i < n; i++) {
		struct shm_app_msg *m = spsc_ring_entry(rx, at + i);

		if (m->slot > 1 || m->len > WIRE_MAX_PAYLOAD_BYTES || m->kind != SHM_APP_DATA)
			abort();
	}
	spsc_ring_release(rx, n);
	spsc_ring_release(ev, spsc_ring_peek(ev, SHM_EVENT_RING_ENTRIES, &at));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[PORT_FRAME_BYTES];
	struct port_pkt pkt = {.data = frame, .addr = peer};

	if (!table.hdr)
		setup();
	if (size > sizeof(frame))
		size = sizeof(frame);
	/* A copy, as a port would hand it over: the stages must not rely on the fuzzer's buffer. */
	if (size)
		memcpy(frame, data, size);
	pkt.len = (uint16_t)size;
	rx_process_burst(&worker, &pkt, 1);
	drain();
	return 0;
}
