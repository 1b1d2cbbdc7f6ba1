/* SPDX-License-Identifier: MIT */
/*
 * tools/xfer_codec: every message type round-trips through encode and
 * decode, and a numbered table of malformed inputs (lengths at each
 * boundary, unknown types, forbidden flags, indices and counts past the
 * limit, inconsistent FIN sizes, unknown statuses) is refused without
 * touching the output.
 */
#include "tools/xfer_codec.h"

#include "internal/bytes.h"
#include "tests/lib/harness.h"

static bool round_trip(const struct xfer_msg *m, size_t want_len)
{
	uint8_t buf[XFER_MAX_MSG_BYTES];
	struct xfer_msg back;
	size_t len = (size_t)(xfer_codec_encode(buf, m) - buf);

	if (len != want_len || !xfer_codec_decode(&back, buf, len))
		return false;
	if (back.type != m->type || back.flags != m->flags || back.xfer_id != m->xfer_id)
		return false;
	switch (m->type) {
	case XFER_DATA:
		return back.data.index == m->data.index && back.data.len == m->data.len &&
		       back.data.payload == buf + XFER_DATA_HDR_BYTES &&
		       !memcmp(back.data.payload, m->data.payload, m->data.len);
	case XFER_ACK:
		return back.ack.next == m->ack.next && back.ack.sack == m->ack.sack;
	case XFER_FIN:
		return back.fin.chunks == m->fin.chunks && back.fin.bytes == m->fin.bytes &&
		       !memcmp(back.fin.sha256, m->fin.sha256, 32);
	case XFER_FIN_ACK:
		return back.fin_ack.status == m->fin_ack.status &&
		       back.fin_ack.duplicates == m->fin_ack.duplicates;
	}
	return false;
}

static void test_round_trips(void)
{
	static uint8_t payload[XFER_CHUNK_BYTES];
	struct xfer_msg m = {
		.type = XFER_DATA, .flags = XFER_FLAG_RETRANSMIT, .xfer_id = 0xdeadbeef};

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	m.data.index = ((uint64_t)1 << XFER_MAX_CHUNKS_LOG2) - 1;
	m.data.payload = payload;
	m.data.len = XFER_CHUNK_BYTES;
	CHECK(round_trip(&m, XFER_MAX_MSG_BYTES));
	m.flags = 0;
	m.data.len = 1;
	CHECK(round_trip(&m, XFER_DATA_HDR_BYTES + 1));

	m = (struct xfer_msg){.type = XFER_ACK, .xfer_id = 1};
	m.ack.next = 12345;
	m.ack.sack = 0x8000000000000001ULL;
	CHECK(round_trip(&m, XFER_ACK_BYTES));

	m = (struct xfer_msg){.type = XFER_FIN, .xfer_id = 2};
	m.fin.bytes = 2601;
	m.fin.chunks = 3;
	memset(m.fin.sha256, 0xab, 32);
	CHECK(round_trip(&m, XFER_FIN_BYTES));
	m.fin.bytes = 0;
	m.fin.chunks = 0;
	CHECK(round_trip(&m, XFER_FIN_BYTES));

	m = (struct xfer_msg){.type = XFER_FIN_ACK, .xfer_id = 3};
	m.fin_ack.status = XFER_STATUS_MISMATCH;
	m.fin_ack.duplicates = 77;
	CHECK(round_trip(&m, XFER_FIN_ACK_BYTES));

	CHECK_EQ(xfer_codec_chunks(0), 0);
	CHECK_EQ(xfer_codec_chunks(1), 1);
	CHECK_EQ(xfer_codec_chunks(1300), 1);
	CHECK_EQ(xfer_codec_chunks(1301), 2);
	CHECK_EQ(xfer_codec_chunks(UINT64_MAX), UINT64_MAX / 1300 + 1);
}

struct bad_case {
	uint8_t type, flags;
	size_t len;
	uint64_t f1, f2; /* first and second u64 field (or status in the first byte) */
};

static void test_malformed(void)
{
	const uint64_t lim = (uint64_t)1 << XFER_MAX_CHUNKS_LOG2;
	static const struct bad_case cases[] = {
		/* 1 */ {XFER_DATA, 0, 0, 0, 0},
		/* 2 */ {XFER_DATA, 0, 5, 0, 0},
		/* 3 */ {XFER_DATA, 0, XFER_DATA_HDR_BYTES, 0, 0},     /* empty payload */
		/* 4 */ {XFER_DATA, 0, XFER_MAX_MSG_BYTES + 1, 0, 0},  /* oversized */
		/* 5 */ {XFER_DATA, 2, XFER_DATA_HDR_BYTES + 1, 0, 0}, /* unknown flag */
		/* 6 */ {XFER_DATA, 0, XFER_DATA_HDR_BYTES + 1, (uint64_t)1 << 50, 0},
		/* 7 */ {XFER_DATA, 0, XFER_DATA_HDR_BYTES + 1, UINT64_MAX, 0},
		/* 8 */ {XFER_ACK, 0, XFER_ACK_BYTES - 1, 0, 0},
		/* 9 */ {XFER_ACK, 0, XFER_ACK_BYTES + 1, 0, 0},
		/* 10 */ {XFER_ACK, 1, XFER_ACK_BYTES, 0, 0}, /* flags on an ACK */
		/* 11 */ {XFER_ACK, 0, XFER_ACK_BYTES, ((uint64_t)1 << 50) + 1, 0},
		/* 12 */ {XFER_FIN, 0, XFER_FIN_BYTES - 1, 1, 1},
		/* 13 */ {XFER_FIN, 0, XFER_FIN_BYTES, 2, 1300}, /* chunks != bytes */
		/* 14 */ {XFER_FIN, 0, XFER_FIN_BYTES, 0, 1},
		/* 15 */ {XFER_FIN, 0, XFER_FIN_BYTES, UINT64_MAX / 1300 + 1, UINT64_MAX},
		/* 16 */ {XFER_FIN_ACK, 0, XFER_FIN_ACK_BYTES, 2, 0}, /* unknown status */
		/* 17 */ {XFER_FIN_ACK, 0, XFER_FIN_ACK_BYTES + 1, 0, 0},
		/* 18 */ {0, 0, XFER_ACK_BYTES, 0, 0}, /* type 0 */
		/* 19 */ {5, 0, XFER_ACK_BYTES, 0, 0}, /* type 5 */
		/* 20 */ {0xff, 0, XFER_FIN_BYTES, 0, 0},
	};
	uint8_t buf[XFER_MAX_MSG_BYTES + 8];
	struct xfer_msg out, before;

	(void)lim;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct bad_case *c = &cases[i];

		memset(buf, 0, sizeof(buf));
		buf[0] = c->type;
		buf[1] = c->flags;
		if (c->type == XFER_FIN_ACK) {
			buf[6] = (uint8_t)c->f1;
		} else {
			store_be64(buf + 6, c->f1);
			store_be64(buf + 14, c->f2);
		}
		memset(&out, 0x5a, sizeof(out));
		before = out;
		if (xfer_codec_decode(&out, buf, c->len))
			fprintf(stderr, "  malformed case %zu was accepted\n", i + 1);
		CHECK(!xfer_codec_decode(&out, buf, c->len));
		CHECK_MEM(&out, &before, sizeof(out));
	}
}

int main(void)
{
	test_round_trips();
	test_malformed();
	return harness_finish();
}
