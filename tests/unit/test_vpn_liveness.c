/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn's liveness timers (control/vpn_liveness.h), driven tick by tick
 * with made-up packet totals: when a passive keepalive goes out, when a
 * silent peer is restarted, and that idle or answering peers are left alone.
 */
#include "control/vpn_liveness.h"

#include "tests/lib/harness.h"

#include <stdio.h>
#include <string.h>

enum { TICK_MS = 100 };

struct sim {
	struct vpn_liveness l;
	struct vpn_totals t;
	uint64_t now;
	unsigned pings, restarts;
	uint64_t first_ping_ms, first_restart_ms;
};

static void sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	s->now = 1000;
}

/* Runs `ms` of ticks; `each` (may be NULL) changes the totals before every tick. */
static void run(struct sim *s, uint64_t ms, bool can_dial, void (*each)(struct sim *))
{
	for (uint64_t end = s->now + ms; s->now < end; s->now += TICK_MS) {
		if (each)
			each(s);
		switch (vpn_liveness_step(&s->l, &s->t, can_dial, s->now)) {
		case VPN_LIVE_PING:
			if (!s->pings++)
				s->first_ping_ms = s->now;
			vpn_liveness_pinged(&s->l, s->now);
			break;
		case VPN_LIVE_RESTART:
			if (!s->restarts++)
				s->first_restart_ms = s->now;
			break;
		case VPN_LIVE_NOTHING:
			break;
		}
	}
}

static void send_data(struct sim *s)
{
	s->t.tx_data++;
}

static void recv_data(struct sim *s)
{
	s->t.rx_data++;
	s->t.rx_any++;
}

static void exchange(struct sim *s)
{
	send_data(s);
	if (s->now % 300 == 0)
		recv_data(s);
}

/* Two idle peers: nothing happens, ever. */
static void test_idle(void)
{
	struct sim s;

	sim_init(&s);
	run(&s, 120000, true, NULL);
	CHECK_EQ(s.pings, 0u);
	CHECK_EQ(s.restarts, 0u);
}

/* Traffic both ways (a TCP flow): no keepalive, no restart. */
static void test_exchange(void)
{
	struct sim s;

	sim_init(&s);
	run(&s, 60000, true, exchange);
	CHECK_EQ(s.pings, 0u);
	CHECK_EQ(s.restarts, 0u);
}

/* We only receive (one-way UDP to us): a ping 10 s after the first unanswered packet. */
static void test_passive_keepalive(void)
{
	struct sim s;

	sim_init(&s);
	run(&s, 200, true, NULL);
	{
		uint64_t start = s.now;

		run(&s, 25000, true, recv_data);
		CHECK_EQ(s.pings, 2u); /* at 10 s and 20 s: the flow keeps arriving */
		CHECK(s.first_ping_ms >= start + VPN_PASSIVE_KEEPALIVE_MS);
		CHECK(s.first_ping_ms <= start + VPN_PASSIVE_KEEPALIVE_MS + 2 * TICK_MS);
	}
	CHECK_EQ(s.restarts, 0u);
}

/* A keepalive (a ping) is answered by a PONG: control, not data, so no keepalive back. */
static void test_keepalives_do_not_echo(void)
{
	struct sim s;

	sim_init(&s);
	recv_data(&s);
	run(&s, 10500, true, NULL); /* one passive keepalive goes out */
	CHECK_EQ(s.pings, 1u);
	s.t.rx_any++; /* its PONG */
	run(&s, 60000, true, NULL);
	CHECK_EQ(s.pings, 1u);
	CHECK_EQ(s.restarts, 0u);
}

/* We send, nothing comes back (the peer restarted): restart after 15 s, once per silence. */
static void test_unanswered(void)
{
	struct sim s;
	uint64_t start;

	sim_init(&s);
	run(&s, 200, true, NULL);
	start = s.now;
	run(&s, 16000, true, send_data);
	CHECK_EQ(s.restarts, 1u);
	CHECK(s.first_restart_ms >= start + VPN_UNANSWERED_MS);
	CHECK(s.first_restart_ms <= start + VPN_UNANSWERED_MS + 2 * TICK_MS);
	/* A peer we cannot dial (no endpoint) is never restarted. */
	sim_init(&s);
	run(&s, 60000, false, send_data);
	CHECK_EQ(s.restarts, 0u);
}

/*
 * A silence counts from the first send after the last receive, not from an
 * idle period before it. (A live peer answers our data within 10 s, by its
 * passive keepalive if by nothing else.)
 */
static void test_silence_counts_from_first_send(void)
{
	struct sim s;

	sim_init(&s);
	exchange(&s);
	recv_data(&s); /* the last exchange ends both ways in one tick: nothing pending */
	run(&s, 3600000, true, NULL);
	CHECK_EQ(s.restarts, 0u);
	CHECK_EQ(s.pings, 0u);
	s.t.tx_data++;
	run(&s, 14000, true, NULL);
	CHECK_EQ(s.restarts, 0u);
	s.t.rx_any++; /* the answer, 14 s later (its passive keepalive) */
	run(&s, 30000, true, NULL);
	CHECK_EQ(s.restarts, 0u);
}

/* A ping (PersistentKeepalive) left unanswered restarts the session too; reset forgets. */
static void test_unanswered_ping_and_reset(void)
{
	struct sim s;

	sim_init(&s);
	vpn_liveness_pinged(&s.l, s.now);
	run(&s, 14000, true, NULL);
	vpn_liveness_reset(&s.l);
	run(&s, 30000, true, NULL);
	CHECK_EQ(s.restarts, 0u);
	vpn_liveness_pinged(&s.l, s.now);
	run(&s, 16000, true, NULL);
	CHECK_EQ(s.restarts, 1u);
}

int main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{"idle peers stay quiet", test_idle},
		{"traffic both ways: nothing to do", test_exchange},
		{"receive only: passive keepalive after 10 s", test_passive_keepalive},
		{"a keepalive's PONG asks for no keepalive", test_keepalives_do_not_echo},
		{"sent, no answer for 15 s: restart (dialable peers only)", test_unanswered},
		{"silence counts from the first unanswered send",
		 test_silence_counts_from_first_send},
		{"an unanswered ping restarts; reset forgets", test_unanswered_ping_and_reset},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		unsigned failed = harness_failed;

		cases[i].fn();
		printf("%s %s\n", harness_failed == failed ? "ok  " : "FAIL", cases[i].name);
	}
	return harness_finish();
}
