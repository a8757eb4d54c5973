// User tokens: JWTs signed by Tarn (EdDSA, with kid), valid exactly 24 hours, verified strictly.
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { ROLES } from "./permissions";
import { type SigningKeys, TOKEN_ALG } from "./signing-keys";

export const TOKEN_LIFETIME_SECONDS = 86_400;
export const TOKEN_AUDIENCE = "tarn-api";

/** The claims Tarn puts in a token beside the registered ones (`sub` is the user id). */
export const TokenClaims = z.object({
  sub: z.string().min(1).max(64),
  pid: z.string().min(1).max(64),
  role: z.enum(ROLES),
  ver: z.number().int().nonnegative(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

/** Why a token was refused; the message a client sees stays generic on purpose. */
export type TokenFailure = "malformed" | "signature" | "expired" | "claims" | "unknown-key";

export class TokenError extends Error {
  constructor(
    readonly failure: TokenFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Looks like a JWS compact serialization (three base64url parts), so API keys never reach jose. */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token) && token.length <= 4096;
}

export async function signToken(
  keys: SigningKeys,
  claims: TokenClaims,
  issuer: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<{ token: string; expiresAt: Date }> {
  const exp = nowSeconds + TOKEN_LIFETIME_SECONDS;
  const token = await new SignJWT({ pid: claims.pid, role: claims.role, ver: claims.ver })
    .setProtectedHeader({ alg: TOKEN_ALG, kid: keys.signer.kid, typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(issuer)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(exp)
    .setJti(crypto.randomUUID())
    .sign(keys.signer.privateKey);
  return { token, expiresAt: new Date(exp * 1000) };
}

/** The claims of a token Tarn signed with a key it still accepts, for this issuer and audience; else TokenError. */
export async function verifyToken(
  keys: SigningKeys,
  token: string,
  issuer: string,
  now: Date = new Date(),
): Promise<TokenClaims> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? keys.byKid.get(header.kid) : undefined;
        if (!key) throw new TokenError("unknown-key", "the token's kid is not a key Tarn accepts");
        return key.publicKey;
      },
      {
        algorithms: [TOKEN_ALG],
        issuer,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ["sub", "iat", "exp"],
        maxTokenAge: TOKEN_LIFETIME_SECONDS,
        currentDate: now,
      },
    ));
  } catch (err) {
    if (err instanceof TokenError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new TokenError("expired", "the token has expired");
    if (err instanceof joseErrors.JWSSignatureVerificationFailed)
      throw new TokenError("signature", "the token's signature does not verify");
    if (err instanceof joseErrors.JWTClaimValidationFailed)
      throw new TokenError("claims", `the token's ${err.claim} claim does not verify`);
    throw new TokenError("malformed", "the token is not a valid Tarn token");
  }
  const claims = TokenClaims.safeParse(payload);
  if (!claims.success) throw new TokenError("claims", "the token lacks Tarn's claims");
  return claims.data;
}
