// A real local HTTP server speaking OpenAI's chat-completions protocol (JSON and SSE streaming),
// with replies scripted by the test: text, HTTP failures, or hangs. It records every request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type Step =
  | { reply: string }
  | { status: number; message?: string }
  /** Accepts the request and never answers (until the server stops). */
  | { hang: true };

export interface RecordedRequest {
  model: string;
  stream: boolean;
  messages: { role: string; content: string }[];
  authorization: string | undefined;
}

export interface FakeLlm {
  /** The base URL clients configure (…/v1). */
  url: string;
  requests: RecordedRequest[];
  /** Steps used in order, one per request; when they run out, `fallback` answers. */
  script: (...steps: Step[]) => void;
  fallback: (step: Step) => void;
  stop: () => Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.on("data", (c) => {
      data += c;
    });
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

function complete(res: ServerResponse, model: string, text: string, stream: boolean) {
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
  const created = Math.floor(Date.now() / 1000);
  if (!stream) {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        id,
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
    return;
  }
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  res.write(chunk({ role: "assistant", content: "" }, null));
  for (let i = 0; i < text.length; i += 16) res.write(chunk({ content: text.slice(i, i + 16) }, null));
  res.write(chunk({}, "stop"));
  res.end("data: [DONE]\n\n");
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const requests: RecordedRequest[] = [];
  let steps: Step[] = [];
  let fallback: Step = { status: 500, message: "no scripted reply" };
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer(async (req, res) => {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));
      return;
    }
    const parsed = JSON.parse(await body(req)) as {
      model: string;
      stream?: boolean;
      messages: RecordedRequest["messages"];
    };
    requests.push({
      model: parsed.model,
      stream: parsed.stream === true,
      messages: parsed.messages,
      authorization: req.headers.authorization,
    });
    const step = steps.shift() ?? fallback;
    if ("hang" in step) {
      hanging.add(res);
      return;
    }
    if ("status" in step) {
      res.writeHead(step.status, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { message: step.message ?? "scripted failure", type: "server_error" } }));
      return;
    }
    complete(res, parsed.model, step.reply, parsed.stream === true);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}/v1`,
    requests,
    script: (...s) => {
      steps = s;
    },
    fallback: (s) => {
      fallback = s;
    },
    stop: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
