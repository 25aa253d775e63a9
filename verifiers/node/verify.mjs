// An independent e-voucher code verifier in JavaScript (Node 18+, standard library only), written from
// docs/e-voucher-code.md alone. It checks everything but one-time use, in the specification's order.
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

function thumbprint(x) {
  return createHash("sha256").update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest();
}

export function keysFromJwks(jwks) {
  const keys = new Map(); // short id (hex) -> KeyObject
  for (const jwk of jwks.keys ?? []) {
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") continue;
    const print = thumbprint(jwk.x);
    if (b64url(print) !== jwk.kid) continue; // a key whose id is not its thumbprint is not trusted
    keys.set(print.subarray(0, 4).toString("hex"), createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" }));
  }
  return keys;
}

export function revokedFromDocument(document) {
  const revoked = new Map(); // short id (hex) -> Set of revocation ids
  for (const [kid, ids] of Object.entries(document?.keys ?? {})) {
    revoked.set(Buffer.from(kid, "base64url").subarray(0, 4).toString("hex"), new Set(ids));
  }
  return revoked;
}

export function check(code, { keys, revoked = null, now, skew = 5 }) {
  try {
    if (typeof code !== "string" || code.length > 200) throw new Refusal("malformed");
    const text = code.trim();
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
    const key = keys.get(keyId);
    if (!key) throw new Refusal("unknown_key");
    if (!edVerify(null, raw.subarray(0, bodySize), key, raw.subarray(bodySize))) throw new Refusal("bad_signature");
    if (issuedAt > now + skew) throw new Refusal("not_yet_valid");
    if (now > issuedAt + lifetime + skew) throw new Refusal("expired");
    if (revoked) {
      const hmacKey = Buffer.concat([Buffer.from("yb-revocation:"), raw.subarray(2, 6)]);
      const rid = createHmac("sha256", hmacKey).update(voucherRef).digest("hex").slice(0, 16);
      if (revoked.get(keyId)?.has(rid)) throw new Refusal("revoked");
    }
    return {
      valid: true,
      key_id: keyId,
      voucher_ref: voucherRef.toString("hex"),
      issued_at: issuedAt,
      expires_at: issuedAt + lifetime,
      holder_ref: flags & 1 ? raw.subarray(HEAD, HEAD + 8).toString("hex") : null,
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

process.exitCode = main(process.argv.slice(2));
