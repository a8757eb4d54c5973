// The RateLimiter stub by name; its type comes from the generated Env.

/** The limiter object of one subject (`q:<project>:<principal>`, `ingest:<project>`, `login:<project>:<email>`). */
export function limiterStub(env: Env, name: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));
}
