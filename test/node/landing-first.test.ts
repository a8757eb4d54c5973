// Compaction waits for landing batches of its isolate, for a bounded time.
import { describe, expect, it } from "vitest";
import { afterLanding, LANDING_RECENT_MS, landing, landingInFlight } from "../../shared/lake/landing-first";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("landing first", () => {
  // First: no batch has landed in this module yet.
  it("lets a compaction step through at once when nothing lands", async () => {
    const t = performance.now();
    await afterLanding(1000);
    expect(performance.now() - t).toBeLessThan(50);
  });

  it("holds a compaction step until the landing batches in flight are done", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const first = landing(() => held);
    const second = landing(() => sleep(50));
    expect(landingInFlight()).toBe(2);
    let stepped = false;
    const step = afterLanding(5000).then(() => {
      stepped = true;
    });
    await second;
    await sleep(20);
    expect(stepped).toBe(false); // one batch still lands
    release();
    await first;
    await step;
    expect(stepped).toBe(true);
    expect(landingInFlight()).toBe(0);
  });

  it("lets the step through after the longest wait when landing never stops", async () => {
    let release: () => void = () => {};
    const endless = landing(() => new Promise<void>((r) => (release = r)));
    const t = performance.now();
    await afterLanding(100);
    const waited = performance.now() - t;
    expect(waited).toBeGreaterThanOrEqual(95);
    expect(waited).toBeLessThan(1000);
    release();
    await endless;
  });

  it("waits a moment after a batch ends, for the next one, then lets the step through", async () => {
    await landing(() => sleep(10));
    const t = performance.now();
    await afterLanding(5000);
    const waited = performance.now() - t;
    expect(waited).toBeGreaterThanOrEqual(LANDING_RECENT_MS - 30);
    expect(waited).toBeLessThan(LANDING_RECENT_MS + 500);
  });

  it("counts a failed batch out as well", async () => {
    await expect(landing(() => Promise.reject(new Error("bad batch")))).rejects.toThrow("bad batch");
    expect(landingInFlight()).toBe(0);
  });
});
