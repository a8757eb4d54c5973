// Tarn's token signing keys: Ed25519 JWKs from the JWT_SIGNING_KEYS secret; the first signs, all verify.
import { exportJWK, importJWK, type JWK } from "jose";
import { z } from "zod";

/**
 * The documented development key (README, "Users and tokens"). It is public, so tokens it signs prove
 * nothing: with `ENVIRONMENT=production` Tarn refuses to serve while it is the key in use.
 */
export const DEV_SIGNING_KEYS = JSON.stringify([
  {
    kty: "OKP",
    crv: "Ed25519",
    kid: "dev-2026-a",
    x: "FTlEFG1HqWkGBskT_CuxzcWDrdvdnJwd9KVXmcC254E",
    d: "hgj3dFpSmKPWBNfowa2oK0rL5Y2yQNuBZ3flXDGjEdM",
  },
]);

export const TOKEN_ALG = "EdDSA";

const PrivateJwk = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  kid: z.string().min(1).max(128),
  x: z.string().min(1),
  d: z.string().min(1),
});
const KeyList = z.array(PrivateJwk).min(1).max(8);

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export interface SigningKeys {
  /** Signs new tokens: the first key of the list. */
  signer: SigningKey;
  /** Every key whose tokens are still accepted (rotation keeps the previous one here for 24 h). */
  byKid: Map<string, SigningKey>;
  /** True when these are the public development keys. */
  isDevDefault: boolean;
}

export class SigningKeyError extends Error {}

const loaded = new Map<string, Promise<SigningKeys>>();

async function load(text: string): Promise<SigningKeys> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SigningKeyError("JWT_SIGNING_KEYS is not JSON (expected an array of Ed25519 private JWKs)");
  }
  const parsed = KeyList.safeParse(Array.isArray(raw) ? raw : [raw]);
  if (!parsed.success)
    throw new SigningKeyError(
      `JWT_SIGNING_KEYS: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`,
    );
  const keys: SigningKey[] = [];
  for (const jwk of parsed.data) {
    const privateKey = (await importJWK({ ...jwk, alg: TOKEN_ALG }, TOKEN_ALG)) as CryptoKey;
    const { d: _secret, ...pub } = jwk;
    const publicKey = (await importJWK({ ...pub, alg: TOKEN_ALG }, TOKEN_ALG, { extractable: true })) as CryptoKey;
    const publicJwk = { ...(await exportJWK(publicKey)), kid: jwk.kid, alg: TOKEN_ALG, use: "sig" };
    keys.push({ kid: jwk.kid, privateKey, publicKey, publicJwk });
  }
  const kids = new Set(keys.map((k) => k.kid));
  if (kids.size !== keys.length) throw new SigningKeyError("JWT_SIGNING_KEYS: two keys share a kid");
  return {
    signer: keys[0] as SigningKey,
    byKid: new Map(keys.map((k) => [k.kid, k])),
    isDevDefault: text === DEV_SIGNING_KEYS,
  };
}

/** The keys of `secret` (or the development keys when unset), imported once per isolate. */
export function signingKeys(secret: string | undefined): Promise<SigningKeys> {
  const text = secret?.trim() ? secret.trim() : DEV_SIGNING_KEYS;
  let keys = loaded.get(text);
  if (!keys) {
    keys = load(text);
    keys.catch(() => loaded.delete(text));
    loaded.set(text, keys);
  }
  return keys;
}

/** Why the signing secret is unfit for production, or null. */
export function signingKeyProblem(secret: string | undefined): string | null {
  if (!secret?.trim()) return "JWT_SIGNING_KEYS is not set";
  if (secret.trim() === DEV_SIGNING_KEYS) return "JWT_SIGNING_KEYS is the public development key";
  if (secret.includes("hgj3dFpSmKPWBNfowa2oK0rL5Y2yQNuBZ3flXDGjEdM"))
    return "JWT_SIGNING_KEYS contains the public development key";
  return null;
}

/** `GET /.well-known/jwks.json`: the public halves of every accepted key. */
export function publicJwks(keys: SigningKeys): { keys: JWK[] } {
  return { keys: [...keys.byKid.values()].map((k) => k.publicJwk) };
}
