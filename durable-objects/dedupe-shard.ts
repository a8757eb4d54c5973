// DedupeShard: remembers event ids for the dedupe window, one shard of many keyed by id hash.
import { DurableObject } from "cloudflare:workers";

export class DedupeShard extends DurableObject<Env> {}
