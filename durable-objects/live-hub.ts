// LiveHub: fans WebSocket updates out to dashboards (filled in by the live issue).
import { DurableObject } from "cloudflare:workers";

export class LiveHub extends DurableObject<Env> {}
