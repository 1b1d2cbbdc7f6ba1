/* SPDX-License-Identifier: MIT */
/*
 * Encoder and decoder of the `drift xfer` messages (see xfer_codec.h). The
 * decoder checks the total length for the type before reading any field,
 * reads through the bounds-checked cursor, and fills the caller's struct
 * only once everything checked out.
 */
#include "tools/xfer_codec.h"

#include "internal/bytes.h"

#include <string.h>

uint8_t *xfer_codec_encode(uint8_t *out, const struct xfer_msg *m)
{
	uint8_t *p = out;

	*p++ = m->type;
	*p++ = m->flags;
	store_be32(p, m->xfer_id);
	p += 4;
	switch (m->type) {
	case XFER_DATA:
		store_be64(p, m->data.index);
		memcpy(p + 8, m->data.payload, m->data.len);
		return p + 8 + m->data.len;
	case XFER_ACK:
		store_be64(p, m->ack.next);
		store_be64(p + 8, m->ack.sack);
		return p + 16;
	case XFER_FIN:
		store_be64(p, m->fin.chunks);
		store_be64(p + 8, m->fin.bytes);
		memcpy(p + 16, m->fin.sha256, sizeof(m->fin.sha256));
		return p + 16 + sizeof(m->fin.sha256);
	case XFER_FIN_ACK:
		*p = m->fin_ack.status;
		store_be64(p + 1, m->fin_ack.duplicates);
		return p + 9;
	}
	return p;
}

/* The exact length each fixed-size type must have; DATA is checked on its own. */
static bool length_fits(uint8_t type, size_t len)
{
	switch (type) {
	case XFER_DATA:
		return len > XFER_DATA_HDR_BYTES && len - XFER_DATA_HDR_BYTES <= XFER_CHUNK_BYTES;
	case XFER_ACK:
		return len == XFER_ACK_BYTES;
	case XFER_FIN:
		return len == XFER_FIN_BYTES;
	case XFER_FIN_ACK:
		return len == XFER_FIN_ACK_BYTES;
	}
	return false;
}

bool xfer_codec_decode(struct xfer_msg *out, const uint8_t *buf, size_t len)
{
	const uint64_t max_index = (uint64_t)1 << XFER_MAX_CHUNKS_LOG2;
	struct xfer_msg m;
	struct cursor c;

	if (len < XFER_HDR_BYTES || !length_fits(buf[0], len))
		return false;
	memset(&m, 0, sizeof(m));
	cursor_init(&c, buf, len);
	m.type = cursor_u8(&c);
	m.flags = cursor_u8(&c);
	m.xfer_id = cursor_be32(&c);
	if (m.flags & ~(m.type == XFER_DATA ? XFER_FLAG_RETRANSMIT : 0))
		return false;
	switch (m.type) {
	case XFER_DATA:
		m.data.index = cursor_be64(&c);
		m.data.len = (uint16_t)c.left;
		m.data.payload = cursor_take(&c, c.left);
		if (m.data.index >= max_index)
			return false;
		break;
	case XFER_ACK:
		m.ack.next = cursor_be64(&c);
		m.ack.sack = cursor_be64(&c);
		if (m.ack.next > max_index)
			return false;
		break;
	case XFER_FIN:
		m.fin.chunks = cursor_be64(&c);
		m.fin.bytes = cursor_be64(&c);
		cursor_copy(&c, m.fin.sha256, sizeof(m.fin.sha256));
		if (m.fin.chunks > max_index || m.fin.chunks != xfer_codec_chunks(m.fin.bytes))
			return false;
		break;
	case XFER_FIN_ACK:
		m.fin_ack.status = cursor_u8(&c);
		m.fin_ack.duplicates = cursor_be64(&c);
		if (m.fin_ack.status > XFER_STATUS_MISMATCH)
			return false;
		break;
	}
	if (!cursor_ok(&c) || c.left != 0)
		return false;
	*out = m;
	return true;
}
