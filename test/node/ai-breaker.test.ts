// The circuit breaker's states on a controlled clock: closed → open after 5 failures → one probe → closed or open.
import { describe, expect, it } from "vitest";
import { BreakerOpenError, CircuitBreaker } from "../../shared/resilience/circuit-breaker";

function setup() {
  let now = 1_000_000;
  const transitions: string[] = [];
  const breaker = new CircuitBreaker("llm", {
    now: () => now,
    onTransition: (to, from) => transitions.push(`${from}→${to}`),
  });
  const fail = () => breaker.call(() => Promise.reject(new Error("down")));
  const ok = () => breaker.call(() => Promise.resolve("up"));
  return { breaker, fail, ok, transitions, advance: (ms: number) => (now += ms) };
}

describe("circuit breaker", () => {
  it("opens after five consecutive failures and then refuses without calling", async () => {
    const { breaker, fail, transitions } = setup();
    for (let i = 0; i < 4; i++) await expect(fail()).rejects.toThrow("down");
    expect(breaker.state).toBe("closed");
    await expect(fail()).rejects.toThrow("down");
    expect(breaker.state).toBe("open");
    let called = false;
    await expect(
      breaker.call(async () => {
        called = true;
      }),
    ).rejects.toBeInstanceOf(BreakerOpenError);
    expect(called).toBe(false);
    expect(transitions).toEqual(["closed→open"]);
  });

  it("a success in between resets the count", async () => {
    const { breaker, fail, ok } = setup();
    for (let i = 0; i < 4; i++) await expect(fail()).rejects.toThrow();
    await ok();
    for (let i = 0; i < 4; i++) await expect(fail()).rejects.toThrow();
    expect(breaker.state).toBe("closed");
  });

  it("after 60 s lets exactly one probe through; its success closes the breaker", async () => {
    const { breaker, fail, transitions, advance } = setup();
    for (let i = 0; i < 5; i++) await expect(fail()).rejects.toThrow();
    advance(59_000);
    expect(breaker.state).toBe("open");
    expect(breaker.retryAfterSeconds()).toBe(1);
    advance(1_000);
    expect(breaker.state).toBe("half-open");
    let release: (v: string) => void = () => {};
    const probe = breaker.call(() => new Promise<string>((r) => (release = r)));
    // While the probe is out, others are refused.
    await expect(breaker.call(() => Promise.resolve("x"))).rejects.toBeInstanceOf(BreakerOpenError);
    release("ok");
    await expect(probe).resolves.toBe("ok");
    expect(breaker.state).toBe("closed");
    expect(transitions).toEqual(["closed→open", "open→half-open", "half-open→closed"]);
  });

  it("a failed probe opens it for another 60 s", async () => {
    const { breaker, fail, advance } = setup();
    for (let i = 0; i < 5; i++) await expect(fail()).rejects.toThrow();
    advance(60_000);
    await expect(fail()).rejects.toThrow("down");
    expect(breaker.state).toBe("open");
    expect(breaker.retryAfterSeconds()).toBe(60);
  });

  it("errors the caller caused do not count against the remote", async () => {
    const { breaker } = setup();
    for (let i = 0; i < 10; i++) {
      await expect(
        breaker.call(
          () => Promise.reject(new Error("400")),
          () => false,
        ),
      ).rejects.toThrow();
    }
    expect(breaker.state).toBe("closed");
  });
});
