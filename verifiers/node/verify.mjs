// An independent e-voucher code verifier in JavaScript (Node 18+, standard library only), written from
// docs/e-voucher-code.md alone. It checks everything but one-time use, in the specification's order
// (section 6), and answers the specification's verdicts (section 7).
//
//   node verify.mjs --jwks jwks.json [--revocations revocations.json] [--now UNIX_SECONDS] [--skew 5] CODE
//   node verify.mjs --vectors vectors.json --jwks jwks.json --revocations revocations.json
//
// The first form prints one verdict as JSON and exits 0 (valid) or 1 (refused); the second prints
// {"name": verdict} for every vector, verified at the vectors' clock.
import { createHash, createHmac, createPublicKey, verify as edVerify } from "node:crypto";
import { readFileSync } from "node:fs";

const PREFIX = "YB1:";
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const HEAD = 27; // version 1, flags 1, key id 4, voucher 8, issued at 4, lifetime 1, nonce 8
const SIGNATURE = 64;

class Refusal extends Error {}

function base45Decode(text) {
  // RFC 9285: 3 characters per 2 bytes, least significant first; a last pair of characters is one byte.
  const values = [...text].map((ch) => {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Refusal("malformed");
    return v;
  });
  if (values.length % 3 === 1) throw new Refusal("malformed");
  const out = [];
  for (let i = 0; i < values.length; i += 3) {
    if (values.length - i >= 3) {
      const n = values[i] + values[i + 1] * 45 + values[i + 2] * 45 * 45;
      if (n > 0xffff) throw new Refusal("malformed");
      out.push(n >> 8, n & 0xff);
    } else {
      const n = values[i] + values[i + 1] * 45;
      if (n > 0xff) throw new Refusal("malformed");
      out.push(n);
    }
  }
  return Buffer.from(out);
}

const b64url = (buf) => buf.toString("base64url");
// Section 1: exactly the characters Python's str.strip() removes (not JavaScript's trim(): it also removes
// U+FEFF and keeps U+001C-U+001F and U+0085).
const WS = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const EDGE_WHITESPACE = new RegExp(`^[${WS}]+|[${WS}]+$`, "g");
const KINDS = ["revoked", "suspended", "holder_removed"]; // checked in this order, each its own verdict
const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

function thumbprint(x) {
  return createHash("sha256").update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest();
}

// signs_from (section 4): the Unix second, rounded down, of an RFC 3339 time with an offset; undefined when
// absent or null; NaN when present but not such a time (or a date that does not exist).
function signsFrom(value) {
  if (value === undefined || value === null) return undefined;
  const m = typeof value === "string" ? TIME.exec(value) : null;
  if (!m) return NaN;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const offset = m[7] ? (m[7] === "+" ? 1 : -1) * (Number(m[8]) * 60 + Number(m[9])) : 0;
  if (y < 1970 || h > 23 || mi > 59 || s > 59 || (m[7] && (Number(m[8]) > 23 || Number(m[9]) > 59))) return NaN;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const day = new Date(ms);
  if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return NaN; // e.g. 30 February
  return ms / 1000 - offset * 60;
}

export function keysFromJwks(jwks) {
  const keys = new Map(); // short id (hex) -> {key: KeyObject, signsFrom: Unix seconds or undefined}
  for (const jwk of jwks.keys ?? []) {
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") continue;
    const print = thumbprint(jwk.x);
    if (b64url(print) !== jwk.kid) continue; // a key whose id is not its thumbprint is not trusted
    const starts = signsFrom(jwk.signs_from);
    if (Number.isNaN(starts)) continue; // nor one whose signing start cannot be read
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });
    keys.set(print.subarray(0, 4).toString("hex"), { key, signsFrom: starts });
  }
  return keys;
}

export function revokedFromDocument(document) {
  const revoked = new Map(); // short id (hex) -> {revoked: Set, suspended: Set, holder_removed: Set}
  for (const [kid, lists] of Object.entries(document?.keys ?? {})) {
    if (typeof lists !== "object" || lists === null || Array.isArray(lists)) {
      throw new Error(`revocation lists of ${kid}: not an object`);
    }
    const sets = {};
    for (const kind of KINDS) {
      const ids = lists[kind] ?? [];
      if (!Array.isArray(ids)) throw new Error(`revocation lists of ${kid}: ${kind} is not an array`);
      sets[kind] = new Set(ids);
    }
    revoked.set(Buffer.from(kid, "base64url").subarray(0, 4).toString("hex"), sets);
  }
  return revoked;
}

function revocationId(keyId, message) {
  const hmacKey = Buffer.concat([Buffer.from("yb-revocation:"), keyId]);
  return createHmac("sha256", hmacKey).update(message).digest("hex").slice(0, 16);
}

export function check(code, { keys, revoked = null, now, skew = 5 }) {
  try {
    if (typeof code !== "string" || [...code].length > 200) throw new Refusal("malformed"); // code points
    const text = code.replace(EDGE_WHITESPACE, "");
    if (!text.startsWith(PREFIX)) throw new Refusal("malformed");
    const raw = base45Decode(text.slice(PREFIX.length));
    if (raw.length < HEAD + SIGNATURE) throw new Refusal("malformed");
    const version = raw[0], flags = raw[1];
    if (version !== 1) throw new Refusal("unsupported_version");
    const bodySize = HEAD + (flags & 1 ? 8 : 0);
    if (flags & ~1 || raw.length !== bodySize + SIGNATURE) throw new Refusal("malformed");
    const lifetime = raw[18];
    if (lifetime < 1 || lifetime > 60) throw new Refusal("malformed");
    const keyId = raw.subarray(2, 6).toString("hex");
    const voucherRef = raw.subarray(6, 14);
    const issuedAt = raw.readUInt32BE(14);
    const holderRef = flags & 1 ? raw.subarray(HEAD, HEAD + 8) : null;
    const known = keys.get(keyId);
    if (!known) throw new Refusal("unknown_key");
    if (known.signsFrom !== undefined && issuedAt < Math.floor(known.signsFrom) - skew) throw new Refusal("unknown_key");
    if (!edVerify(null, raw.subarray(0, bodySize), known.key, raw.subarray(bodySize))) throw new Refusal("bad_signature");
    if (issuedAt > now + skew) throw new Refusal("not_yet_valid");
    if (now > issuedAt + lifetime + skew) throw new Refusal("expired");
    const lists = revoked?.get(keyId);
    if (lists) {
      const rid = revocationId(raw.subarray(2, 6), voucherRef);
      if (lists.revoked.has(rid)) throw new Refusal("revoked");
      if (lists.suspended.has(rid)) throw new Refusal("suspended");
      if (holderRef && lists.holder_removed.has(revocationId(raw.subarray(2, 6), Buffer.concat([voucherRef, holderRef])))) {
        throw new Refusal("holder_removed");
      }
    }
    return {
      valid: true,
      key_id: keyId,
      voucher_ref: voucherRef.toString("hex"),
      issued_at: issuedAt,
      expires_at: issuedAt + lifetime,
      holder_ref: holderRef ? holderRef.toString("hex") : null,
      nonce: raw.subarray(19, 27).toString("hex"),
    };
  } catch (error) {
    if (error instanceof Refusal) return { valid: false, reason: error.message };
    throw error;
  }
}

function main(argv) {
  const options = {};
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) options[argv[i].slice(2)] = argv[++i];
    else rest.push(argv[i]);
  }
  const read = (path) => JSON.parse(readFileSync(path, "utf8"));
  if (!options.jwks) {
    console.error("usage: node verify.mjs --jwks jwks.json [--revocations file] [--now unix] [--skew 5] CODE | --vectors file");
    return 2;
  }
  const keys = keysFromJwks(read(options.jwks));
  const revoked = options.revocations ? revokedFromDocument(read(options.revocations)) : null;
  if (options.vectors) {
    const vectors = read(options.vectors);
    const verdicts = {};
    for (const v of vectors.vectors) {
      const verdict = check(v.code, { keys, revoked, now: vectors.clock, skew: vectors.skew });
      verdicts[v.name] = verdict.valid ? "valid" : verdict.reason;
    }
    console.log(JSON.stringify(verdicts));
    return 0;
  }
  const now = options.now !== undefined ? Number(options.now) : Date.now() / 1000;
  const verdict = check(rest[0] ?? "", { keys, revoked, now, skew: Number(options.skew ?? 5) });
  console.log(JSON.stringify(verdict));
  return verdict.valid ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(`error: ${error.message}`);
  process.exitCode = 2;
}
