/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn's config parser. libinih does the INI parsing, but it names a
 * section only by its header text, so two [Peer] sections would look like
 * one, and Debian's <ini.h> declares the handler without a line number
 * (INI_HANDLER_LINENO is 0). So inih reads through our line reader
 * (ini_parse_stream, the general form of ini_parse_string), which hands it
 * one normalised line at a time:
 *
 *   source text --read_line()--> "[Interface]" | "[Peer 3]" | "Key=value" --inih--> on_key()
 *
 * The reader numbers each [Peer] header, strips comments ('#' anywhere as in
 * wg, ';' as inih does), rejects what inih would misread (a control byte, a line
 * with no '=', a key name that is not a word), splits Address and AllowedIPs
 * comma lists into one item per line, and remembers the source line. inih
 * calls the handler for a line before it asks for the next one, so the
 * handler reports that line exactly. Checks that span sections (required
 * keys, our own public key) run once the text is consumed. This file never
 * allocates in the parser and never logs; load and resolve are the only I/O.
 */
#include "tools/vpn_config.h"
#include "tools/vpn_values.h"

#include "crypto/secret.h"
#include "crypto/x25519.h"
#include "internal/shm_layout.h"
#include "tools/hex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

enum section {
	SECTION_NONE = 0,
	SECTION_INTERFACE = 1,
	SECTION_PEER = 2,
	SECTION_ANY = SECTION_INTERFACE | SECTION_PEER,
};

enum key_flag {
	KEY_LIST = 1,	 /* comma list, key may repeat (Address, AllowedIPs) */
	KEY_IGNORED = 2, /* wg-quick key: accepted with a warning */
	KEY_REFUSED = 4, /* PresharedKey: an error wherever it appears */
};

enum parse_const {
	MAX_RULES = 32,	      /* bits in the per-section "seen" record */
	SHOWN_KEY_CHARS = 48, /* quoted in messages, so a long line cannot crowd out the fix */
	SHOWN_VALUE_CHARS = 96,
};

struct parse_ctx;
typedef bool (*apply_fn)(struct parse_ctx *ctx, const char *key, const char *value);

struct key_rule {
	const char *name; /* canonical spelling; matched case-insensitively like wg */
	uint8_t where;	  /* enum section bits */
	uint8_t flags;	  /* enum key_flag */
	apply_fn apply;
};

struct parse_ctx {
	struct vpn_config *cfg;
	char *err;
	bool failed; /* the first error wins; the reader then ends the input */
	const char *text;
	size_t len, pos; /* pos: first byte of the next unread source line */
	uint32_t line;	 /* source line of the last line handed to inih */
	/* A comma list being handed to inih one item per line. */
	bool list_pending;
	const char *list_key, *list_value, *list_next, *list_end;
	size_t list_key_len;
	/* Line where each rule's key was set: [0] all [Interface]s, [1] the current [Peer]. */
	uint32_t seen_line[2][MAX_RULES];
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n';
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* snprintf at buf + *used, clamping *used so it never passes the terminator. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t cap, size_t *used,
							 const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used + 1 >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, cap - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used = min_size(*used + (size_t)n, cap - 1);
}

/*
 * True if a value must not be echoed: that of PrivateKey or PresharedKey,
 * and anything shaped like a key under another name (a misspelt PrivateKey
 * is still a secret). PublicKey values are shown.
 */
static bool is_secret(const char *key, size_t key_len, const char *val, size_t val_len)
{
	bool keyish = val_len == 44 || val_len == 64;

	for (size_t i = 0; keyish && i < val_len; i++)
		keyish = is_alnum(val[i]) || val[i] == '+' || val[i] == '/' || val[i] == '=';
	if (key_len == 9 && strncasecmp(key, "PublicKey", 9) == 0)
		return false;
	return keyish || (key_len == 10 && strncasecmp(key, "PrivateKey", 10) == 0) ||
	       (key_len == 12 && strncasecmp(key, "PresharedKey", 12) == 0);
}

/*
 * Records the first error: "PATH:LINE: " (no LINE when line is 0), then
 * "KEY = VALUE: " when a key is at fault, then the message. Secret values
 * show as "(hidden)". Returns false so callers can `return fail...`.
 */
static bool vfail(struct parse_ctx *ctx, uint32_t line, const char *key, size_t key_len,
		  const char *val, size_t val_len, const char *fmt, va_list ap)
{
	size_t used = 0;

	if (ctx->failed)
		return false;
	ctx->failed = true;
	append(ctx->err, VPN_ERR_BYTES, &used, "%s:", ctx->cfg->path);
	if (line)
		append(ctx->err, VPN_ERR_BYTES, &used, "%u:", line);
	append(ctx->err, VPN_ERR_BYTES, &used, " ");
	if (key) {
		if (is_secret(key, key_len, val, val_len)) {
			val = "(hidden)";
			val_len = 8;
		}
		append(ctx->err, VPN_ERR_BYTES, &used,
		       "%.*s = %.*s%s: ", (int)min_size(key_len, SHOWN_KEY_CHARS), key,
		       (int)min_size(val_len, SHOWN_VALUE_CHARS), val,
		       val_len > SHOWN_VALUE_CHARS ? "..." : "");
	}
	if (used + 1 < VPN_ERR_BYTES)
		vsnprintf(ctx->err + used, VPN_ERR_BYTES - used, fmt, ap);
	return false;
}

__attribute__((format(printf, 3, 4))) static bool fail_at(struct parse_ctx *ctx, uint32_t line,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ctx, line, NULL, 0, NULL, 0, fmt, ap);
	va_end(ap);
	return false;
}

/* An error about KEY = VALUE on the current line; both are spans of the source. */
__attribute__((format(printf, 6, 7))) static bool fail_span(struct parse_ctx *ctx, const char *key,
							    size_t key_len, const char *val,
							    size_t val_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ctx, ctx->line, key, key_len, val, val_len, fmt, ap);
	va_end(ap);
	return false;
}

/* An error about KEY = VALUE as inih handed them to on_key(). */
__attribute__((format(printf, 4, 5))) static bool fail_kv(struct parse_ctx *ctx, const char *key,
							  const char *val, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ctx, ctx->line, key, strlen(key), val, strlen(val), fmt, ap);
	va_end(ap);
	return false;
}

static struct vpn_peer *cur_peer(struct parse_ctx *ctx)
{
	return &ctx->cfg->peers[ctx->cfg->n_peers - 1];
}

/* Number with a range check, the message naming the range. */
static bool apply_number(struct parse_ctx *ctx, const char *key, const char *value, uint32_t lo,
			 uint32_t hi, uint32_t example, uint32_t *out)
{
	if (!vpn_parse_u32(out, value) || *out < lo || *out > hi)
		return fail_kv(ctx, key, value, "not a number from %u to %u; write e.g. %s = %u",
			       lo, hi, key, example);
	return true;
}

/* A string field: refuses what does not fit rather than cutting it. */
static bool apply_string(struct parse_ctx *ctx, const char *key, const char *value, char *dst,
			 size_t cap)
{
	size_t len = strlen(value);

	if (len >= cap)
		return fail_kv(ctx, key, value,
			       "too long (%zu characters, at most %zu); shorten it", len, cap - 1);
	memcpy(dst, value, len + 1);
	return true;
}

static bool apply_private_key(struct parse_ctx *ctx, const char *key, const char *value)
{
	struct vpn_config *cfg = ctx->cfg;

	if (cfg->private_key_file[0])
		return fail_kv(ctx, key, value,
			       "PrivateKeyFile is set too; keep exactly one of the two");
	if (!vpn_key_parse(cfg->private_key, value))
		return fail_kv(ctx, key, value,
			       "not a key; write 44 base64 characters (wg genkey) or 64 hex "
			       "characters (drift genkey)");
	cfg->has_private_key = true;
	return true;
}

static bool apply_private_key_file(struct parse_ctx *ctx, const char *key, const char *value)
{
	if (ctx->cfg->has_private_key)
		return fail_kv(ctx, key, value,
			       "PrivateKey is set too; keep exactly one of the two");
	return apply_string(ctx, key, value, ctx->cfg->private_key_file,
			    sizeof(ctx->cfg->private_key_file));
}

static bool apply_listen_port(struct parse_ctx *ctx, const char *key, const char *value)
{
	uint32_t v;

	if (!apply_number(ctx, key, value, 1, 65535, 51820, &v))
		return false;
	ctx->cfg->listen_port = (uint16_t)v;
	ctx->cfg->has_listen_port = true;
	return true;
}

static bool apply_address(struct parse_ctx *ctx, const char *key, const char *value)
{
	struct vpn_config *cfg = ctx->cfg;

	if (cfg->n_addresses == VPN_MAX_ADDRESSES)
		return fail_kv(ctx, key, value, "too many addresses (at most %d); remove some",
			       VPN_MAX_ADDRESSES);
	if (!vpn_prefix_parse(&cfg->addresses[cfg->n_addresses], value))
		return fail_kv(ctx, key, value,
			       "not an address; write e.g. 10.0.0.1/24 or fd00::1/64");
	cfg->n_addresses++;
	return true;
}

static bool apply_mtu(struct parse_ctx *ctx, const char *key, const char *value)
{
	if (!vpn_parse_u32(&ctx->cfg->mtu, value) || ctx->cfg->mtu < VPN_MTU_MIN ||
	    ctx->cfg->mtu > VPN_MTU_MAX)
		return fail_kv(ctx, key, value,
			       "out of range %d-%d: DRIFT's largest payload is %d bytes and IPv6 "
			       "needs %d; write a value in that range or remove the line",
			       VPN_MTU_MIN, VPN_MTU_MAX, VPN_MTU_MAX, VPN_MTU_MIN);
	return true;
}

static bool apply_port_type(struct parse_ctx *ctx, const char *key, const char *value)
{
	static const char *const types[] = {"auto", "xsk", "udp"};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(value, types[i]) == 0) {
			snprintf(ctx->cfg->port_type, sizeof(ctx->cfg->port_type), "%s", types[i]);
			return true;
		}
	return fail_kv(ctx, key, value, "Port must be auto, xsk or udp; write e.g. Port = auto");
}

/* Linux's rule for interface names (dev_valid_name): 1-15 bytes, no '/', ':' or space. */
static bool apply_device(struct parse_ctx *ctx, const char *key, const char *value)
{
	size_t len = strlen(value);
	bool ok = len < 16 && strcmp(value, ".") != 0 && strcmp(value, "..") != 0;

	for (size_t i = 0; ok && i < len; i++)
		ok = value[i] != '/' && value[i] != ':' && !is_space(value[i]);
	if (!ok)
		return fail_kv(ctx, key, value,
			       "not an interface name (1-15 characters, no '/', ':' or spaces); "
			       "write e.g. Device = eth0");
	return apply_string(ctx, key, value, ctx->cfg->device, sizeof(ctx->cfg->device));
}

static bool apply_metrics_port(struct parse_ctx *ctx, const char *key, const char *value)
{
	uint32_t v;

	if (!apply_number(ctx, key, value, 0, 65535, 9100, &v))
		return false;
	ctx->cfg->metrics_port = (uint16_t)v;
	return true;
}

static bool apply_qlog(struct parse_ctx *ctx, const char *key, const char *value)
{
	return apply_string(ctx, key, value, ctx->cfg->qlog_path, sizeof(ctx->cfg->qlog_path));
}

static bool apply_workers(struct parse_ctx *ctx, const char *key, const char *value)
{
	return apply_number(ctx, key, value, 0, SHM_MAX_WORKERS, 4, &ctx->cfg->workers);
}

static bool apply_public_key(struct parse_ctx *ctx, const char *key, const char *value)
{
	struct vpn_peer *peer = cur_peer(ctx);

	if (!vpn_key_parse(peer->pub, value))
		return fail_kv(ctx, key, value,
			       "not a key; write the peer's public key as 44 base64 characters "
			       "(wg pubkey) or 64 hex characters (drift pubkey)");
	for (struct vpn_peer *other = ctx->cfg->peers; other < peer; other++)
		if (other->has_public_key && memcmp(other->pub, peer->pub, WIRE_KEY_BYTES) == 0)
			return fail_kv(
				ctx, key, value,
				"the [Peer] at line %u has the same key; merge the two peers",
				other->line);
	peer->has_public_key = true;
	return true;
}

static bool apply_endpoint(struct parse_ctx *ctx, const char *key, const char *value)
{
	const char *why = vpn_endpoint_split(value, cur_peer(ctx));

	if (why)
		return fail_kv(ctx, key, value, "%s", why);
	cur_peer(ctx)->has_endpoint = true;
	return true;
}

/* The [Peer] whose range of allowed[] holds index i (ranges are contiguous). */
static const struct vpn_peer *allowed_owner(const struct vpn_config *cfg, uint32_t i)
{
	for (uint32_t p = 0; p < cfg->n_peers; p++)
		if (i - cfg->peers[p].first_allowed < cfg->peers[p].n_allowed)
			return &cfg->peers[p];
	return NULL;
}

static bool apply_allowed_ips(struct parse_ctx *ctx, const char *key, const char *value)
{
	struct vpn_config *cfg = ctx->cfg;
	struct vpn_peer *peer = cur_peer(ctx);
	struct vpn_prefix p, net;
	char fixed[VPN_PREFIX_TEXT_BYTES];

	if (!vpn_prefix_parse(&p, value))
		return fail_kv(ctx, key, value,
			       "not a prefix; write e.g. 10.0.0.0/24 or fd00::/64");
	if (!vpn_prefix_network(&net, &p)) {
		vpn_prefix_format(fixed, sizeof(fixed), &net);
		return fail_kv(ctx, key, value, "%s has host bits set: write %s", value, fixed);
	}
	for (uint32_t i = 0; i < cfg->n_allowed; i++) {
		const struct vpn_peer *owner;

		if (!vpn_prefix_same(&cfg->allowed[i], &p))
			continue;
		owner = allowed_owner(cfg, i);
		if (owner == peer)
			return true; /* listed twice for one peer: harmless, keep one */
		return fail_kv(
			ctx, key, value,
			"also in the AllowedIPs of the [Peer] at line %u (this [Peer] is at "
			"line %u); WireGuard would silently move it, drift-vpn refuses: keep "
			"it in one of the two",
			owner ? owner->line : 0, peer->line);
	}
	if (cfg->n_allowed == VPN_MAX_ALLOWED)
		return fail_kv(ctx, key, value,
			       "too many AllowedIPs (at most %d over all peers); merge prefixes",
			       VPN_MAX_ALLOWED);
	cfg->allowed[cfg->n_allowed++] = p;
	peer->n_allowed++;
	return true;
}

static bool apply_keepalive(struct parse_ctx *ctx, const char *key, const char *value)
{
	uint32_t v = 0;

	if (strcasecmp(value, "off") != 0 && !apply_number(ctx, key, value, 0, 65535, 25, &v))
		return false;
	cur_peer(ctx)->keepalive_s = (uint16_t)v;
	return true;
}

static const struct key_rule rules[] = {
	{"PrivateKey", SECTION_INTERFACE, 0, apply_private_key},
	{"PrivateKeyFile", SECTION_INTERFACE, 0, apply_private_key_file},
	{"ListenPort", SECTION_INTERFACE, 0, apply_listen_port},
	{"Address", SECTION_INTERFACE, KEY_LIST, apply_address},
	{"MTU", SECTION_INTERFACE, 0, apply_mtu},
	{"Port", SECTION_INTERFACE, 0, apply_port_type},
	{"Device", SECTION_INTERFACE, 0, apply_device},
	{"MetricsPort", SECTION_INTERFACE, 0, apply_metrics_port},
	{"Qlog", SECTION_INTERFACE, 0, apply_qlog},
	{"Workers", SECTION_INTERFACE, 0, apply_workers},
	{"DNS", SECTION_INTERFACE, KEY_IGNORED, NULL},
	{"Table", SECTION_INTERFACE, KEY_IGNORED, NULL},
	{"PreUp", SECTION_INTERFACE, KEY_IGNORED, NULL},
	{"PostUp", SECTION_INTERFACE, KEY_IGNORED, NULL},
	{"PreDown", SECTION_INTERFACE, KEY_IGNORED, NULL},
	{"PostDown", SECTION_INTERFACE, KEY_IGNORED, NULL},
	{"SaveConfig", SECTION_INTERFACE, KEY_IGNORED, NULL},
	{"FwMark", SECTION_INTERFACE, KEY_IGNORED, NULL},
	{"PresharedKey", SECTION_ANY, KEY_REFUSED, NULL},
	{"PublicKey", SECTION_PEER, 0, apply_public_key},
	{"Endpoint", SECTION_PEER, 0, apply_endpoint},
	{"AllowedIPs", SECTION_PEER, KEY_LIST, apply_allowed_ips},
	{"PersistentKeepalive", SECTION_PEER, 0, apply_keepalive},
};
_Static_assert(sizeof(rules) / sizeof(rules[0]) <= MAX_RULES, "seen_line has MAX_RULES slots");

static const struct key_rule *find_rule(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strlen(rules[i].name) == len && strncasecmp(rules[i].name, name, len) == 0)
			return &rules[i];
	return NULL;
}

/* Cuts the next source line out of the text, without its '\n'. */
static bool take_line(struct parse_ctx *ctx, const char **s, const char **e)
{
	const char *start = ctx->text + ctx->pos, *nl;
	size_t left = ctx->len - ctx->pos;

	if (!left)
		return false;
	nl = memchr(start, '\n', left);
	*s = start;
	*e = nl ? nl : start + left;
	ctx->pos += (size_t)(*e - start) + (nl ? 1 : 0);
	ctx->line++;
	return true;
}

/* Control characters have no place in a config; NUL would also cut inih's line short. */
static bool text_ok(struct parse_ctx *ctx, const char *s, const char *e)
{
	for (const char *p = s; p < e; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && !is_space(*p)) || c == 0x7f)
			return fail_at(ctx, ctx->line,
				       "the line contains the control byte 0x%02x; is this a "
				       "text file?",
				       c);
	}
	return true;
}

/* Drops a BOM, comments and surrounding white space; [*s, *e) may end up empty. */
static void strip_line(struct parse_ctx *ctx, const char **s, const char **e)
{
	if (ctx->line == 1 && *e - *s >= 3 && memcmp(*s, "\xef\xbb\xbf", 3) == 0)
		*s += 3;
	while (*s < *e && is_space(**s))
		(*s)++;
	for (const char *p = *s; p < *e; p++)
		if (*p == '#' || (*p == ';' && (p == *s || is_space(p[-1])))) {
			*e = p;
			break;
		}
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

/* Writes "key=value\n" for inih, if it fits the line buffer inih offered. */
static char *emit(struct parse_ctx *ctx, char *out, int num, const char *key, size_t key_len,
		  const char *val, size_t val_len)
{
	if (key_len + val_len + 3 > (size_t)num) {
		fail_span(ctx, key, key_len, val, val_len,
			  "the value is too long for the parser (at most %zu characters after "
			  "this key); shorten it",
			  (size_t)num > key_len + 3 ? (size_t)num - key_len - 3 : 0);
		return NULL;
	}
	memcpy(out, key, key_len);
	out[key_len] = '=';
	memcpy(out + key_len + 1, val, val_len);
	out[key_len + 1 + val_len] = '\n';
	out[key_len + 2 + val_len] = '\0';
	return out;
}

/* Hands inih the next item of a pending comma list as a line of its own. */
static char *emit_list_item(struct parse_ctx *ctx, char *out, int num)
{
	const char *s = ctx->list_next, *comma, *e;

	comma = memchr(s, ',', (size_t)(ctx->list_end - s));
	e = comma ? comma : ctx->list_end;
	ctx->list_pending = comma != NULL;
	ctx->list_next = comma ? comma + 1 : ctx->list_end;
	trim(&s, &e);
	if (s == e) {
		fail_span(ctx, ctx->list_key, ctx->list_key_len, ctx->list_value,
			  (size_t)(ctx->list_end - ctx->list_value),
			  "empty item in the comma list; remove the extra comma");
		return NULL;
	}
	return emit(ctx, out, num, ctx->list_key, ctx->list_key_len, s, (size_t)(e - s));
}

/* "[Interface]" or "[Peer]": opens the section and hands inih its numbered name. */
static char *open_section(struct parse_ctx *ctx, const char *s, const char *e, char *out, int num)
{
	struct vpn_config *cfg = ctx->cfg;
	const char *name = s + 1, *name_end = e - 1;

	if (e - s < 2 || e[-1] != ']') {
		fail_at(ctx, ctx->line,
			"%.*s: a section header must end with ']'; write [Interface] or [Peer]",
			(int)min_size((size_t)(e - s), SHOWN_VALUE_CHARS), s);
		return NULL;
	}
	trim(&name, &name_end);
	if (name_end - name == 9 && strncasecmp(name, "Interface", 9) == 0) {
		if (!cfg->interface_line)
			cfg->interface_line = ctx->line;
		snprintf(out, (size_t)num, "[Interface]\n");
		return out;
	}
	if (name_end - name != 4 || strncasecmp(name, "Peer", 4) != 0) {
		fail_at(ctx, ctx->line,
			"unknown section [%.*s]; drift-vpn knows [Interface] and [Peer]",
			(int)min_size((size_t)(name_end - name), SHOWN_KEY_CHARS), name);
		return NULL;
	}
	if (cfg->n_peers == VPN_MAX_PEERS) {
		fail_at(ctx, ctx->line, "too many [Peer] sections (at most %d); remove some",
			VPN_MAX_PEERS);
		return NULL;
	}
	cfg->peers[cfg->n_peers].line = ctx->line;
	cfg->peers[cfg->n_peers].first_allowed = cfg->n_allowed;
	cfg->n_peers++;
	memset(ctx->seen_line[1], 0, sizeof(ctx->seen_line[1]));
	snprintf(out, (size_t)num, "[Peer %u]\n", cfg->n_peers);
	return out;
}

/*
 * A line that is not KEY = VALUE. Only a known key name is quoted back: the
 * rest of the line may be a key that lost its '='.
 */
static char *bad_shape(struct parse_ctx *ctx, const char *s, const char *e)
{
	const char *w = s;

	while (w < e && is_alnum(*w))
		w++;
	if (find_rule(s, (size_t)(w - s)))
		fail_at(ctx, ctx->line, "%.*s...: expected KEY = VALUE", (int)(w - s), s);
	else
		fail_at(ctx, ctx->line,
			"expected KEY = VALUE, KEY being one word of letters and digits");
	return NULL;
}

/* "Key = value": checks the shape inih must agree with, then hands it over. */
static char *key_line(struct parse_ctx *ctx, const char *s, const char *e, char *out, int num)
{
	const char *eq = memchr(s, '=', (size_t)(e - s)), *name_end = eq, *val;
	const struct key_rule *rule;

	if (!eq)
		return bad_shape(ctx, s, e);
	val = eq + 1;
	trim(&s, &name_end);
	trim(&val, &e);
	/* A word is all inih must see as a name: no ':' (its other separator), no " ;". */
	for (const char *p = s; p < name_end; p++)
		if (!is_alnum(*p))
			return bad_shape(ctx, s, e);
	if (s == name_end)
		return bad_shape(ctx, s, e);
	rule = find_rule(s, (size_t)(name_end - s));
	if (rule && (rule->flags & KEY_IGNORED)) /* only warned about: keep what fits */
		e = val + min_size((size_t)(e - val), (size_t)num - (size_t)(name_end - s) - 3);
	if (rule && (rule->flags & KEY_LIST) && val < e) {
		ctx->list_key = s;
		ctx->list_key_len = (size_t)(name_end - s);
		ctx->list_value = val;
		ctx->list_next = val;
		ctx->list_end = e;
		return emit_list_item(ctx, out, num);
	}
	return emit(ctx, out, num, s, (size_t)(name_end - s), val, (size_t)(e - val));
}

/* inih's reader: the next normalised line, or NULL at the end or after an error. */
static char *read_line(char *out, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	const char *s, *e;

	if (ctx->failed)
		return NULL;
	if (num < 32) { /* room for "[Peer 256]" and a short key line, or inih changed */
		fail_at(ctx, 0, "internal error: libinih offers a %d-byte line buffer", num);
		return NULL;
	}
	if (ctx->list_pending)
		return emit_list_item(ctx, out, num);
	while (take_line(ctx, &s, &e)) {
		if (!text_ok(ctx, s, e))
			return NULL;
		strip_line(ctx, &s, &e);
		if (s == e)
			continue;
		if (*s == '[')
			return open_section(ctx, s, e, out, num);
		return key_line(ctx, s, e, out, num);
	}
	return NULL;
}

static void add_warning(struct parse_ctx *ctx, const char *key)
{
	struct vpn_config *cfg = ctx->cfg;
	size_t used = 0;

	if (cfg->n_warnings == VPN_MAX_WARNINGS) {
		cfg->n_warnings_dropped++;
		return;
	}
	append(cfg->warnings[cfg->n_warnings++], VPN_WARNING_BYTES, &used,
	       "%s:%u: %.*s is not supported by drift-vpn and is ignored", cfg->path, ctx->line,
	       SHOWN_KEY_CHARS, key);
}

/* A key this section does not take: say where it belongs, or which keys exist. */
static int unknown_key(struct parse_ctx *ctx, enum section where, const char *key,
		       const char *value, const struct key_rule *rule)
{
	const char *here = where == SECTION_PEER ? "[Peer]" : "[Interface]";
	char known[256] = "";
	size_t used = 0;

	if (rule)
		return fail_kv(ctx, key, value, "%s belongs in %s, not in %s; move it", rule->name,
			       where == SECTION_PEER ? "[Interface]" : "[Peer]", here);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if ((rules[i].where & where) && !(rules[i].flags & (KEY_IGNORED | KEY_REFUSED)))
			append(known, sizeof(known), &used, "%s%s", used ? ", " : "",
			       rules[i].name);
	return fail_kv(ctx, key, value, "unknown key in %s; known keys: %s", here, known);
}

/*
 * inih's handler, called for each "Key=value" line read_line() produced and
 * before the next one is read, so ctx->line is this key's source line. The
 * section comes from inih: "" before any header, else the name we wrote.
 */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *ctx = user;
	const struct key_rule *rule;
	enum section where = SECTION_NONE;
	uint32_t n, *seen;

	if (ctx->failed)
		return 0;
	if (!section || !key || !value)
		return fail_at(ctx, ctx->line, "internal error: libinih passed no key or value");
	if (!section[0])
		return fail_kv(ctx, key, value,
			       "a key before any section; put it under [Interface] or [Peer]");
	if (strcmp(section, "Interface") == 0)
		where = SECTION_INTERFACE;
	else if (strncmp(section, "Peer ", 5) == 0 && vpn_parse_u32(&n, section + 5) &&
		 n == ctx->cfg->n_peers)
		where = SECTION_PEER;
	else
		return fail_at(ctx, ctx->line, "internal error: libinih reports section [%.*s]",
			       SHOWN_KEY_CHARS, section);
	rule = find_rule(key, strlen(key));
	if (!rule || !(rule->where & where))
		return unknown_key(ctx, where, key, value, rule);
	if (!value[0])
		return fail_kv(ctx, key, value, "empty value; give a value or remove the line");
	if (rule->flags & KEY_REFUSED)
		return fail_kv(
			ctx, key, value,
			"DRIFT has no pre-shared key, and accepting it silently would weaken "
			"what you asked for; remove the line");
	if (rule->flags & KEY_IGNORED) {
		add_warning(ctx, key);
		return 1;
	}
	seen = &ctx->seen_line[where == SECTION_PEER][rule - rules];
	if (*seen && !(rule->flags & KEY_LIST))
		return fail_kv(ctx, key, value, "%s is already set at line %u; keep one",
			       rule->name, *seen);
	*seen = ctx->line;
	return rule->apply(ctx, key, value);
}

/* Checks that need the whole file: required keys, and no peer that is ourselves. */
static bool finish(struct parse_ctx *ctx)
{
	struct vpn_config *cfg = ctx->cfg;
	uint8_t own[WIRE_KEY_BYTES];

	if (!cfg->interface_line)
		return fail_at(ctx, 0,
			       "no [Interface] section; add one with PrivateKey = <drift genkey "
			       "output> or PrivateKeyFile = <path>");
	if (!cfg->has_private_key && !cfg->private_key_file[0])
		return fail_at(
			ctx, cfg->interface_line,
			"[Interface] has neither PrivateKey nor PrivateKeyFile; add one of the "
			"two");
	for (uint32_t i = 0; i < cfg->n_peers; i++)
		if (!cfg->peers[i].has_public_key)
			return fail_at(
				ctx, cfg->peers[i].line,
				"[Peer] has no PublicKey; add PublicKey = <the peer's public "
				"key>");
	if (!cfg->has_private_key)
		return true; /* PrivateKeyFile: the key is not read here */
	x25519_public(own, cfg->private_key);
	for (uint32_t i = 0; i < cfg->n_peers; i++)
		if (memcmp(own, cfg->peers[i].pub, WIRE_KEY_BYTES) == 0)
			return fail_at(ctx, cfg->peers[i].line,
				       "[Peer] has this interface's own public key (derived from "
				       "PrivateKey); use the other machine's public key");
	return true;
}

static void config_reset(struct vpn_config *cfg)
{
	vpn_config_wipe(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

int vpn_config_parse(struct vpn_config *cfg, const char *path, const char *text, size_t len,
		     char err[VPN_ERR_BYTES])
{
	struct parse_ctx ctx = {.cfg = cfg, .err = err, .text = text ? text : "", .len = len};
	int rc;

	config_reset(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", path && path[0] ? path : "config");
	snprintf(cfg->port_type, sizeof(cfg->port_type), "auto");
	err[0] = '\0';
	if (len > VPN_MAX_FILE_BYTES || (!text && len)) {
		fail_at(&ctx, 0, "%zu bytes is too large for a config (at most %d)", len,
			VPN_MAX_FILE_BYTES);
	} else {
		rc = ini_parse_stream(read_line, &ctx, on_key, &ctx);
		if (rc != 0)
			fail_at(&ctx, 0, "internal error: libinih refused its line %d", rc);
		if (!ctx.failed)
			finish(&ctx);
	}
	if (!ctx.failed)
		return 0;
	config_reset(cfg);
	return -1;
}
