// WindowShard: holds a project's windowed live aggregates (filled in by the live issue).
import { DurableObject } from "cloudflare:workers";

export class WindowShard extends DurableObject<Env> {}
