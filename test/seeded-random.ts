// Tests and benchmarks take the platform's own seeded PRNG (shared/random.ts).
export { mulberry32 } from "../shared/random";
