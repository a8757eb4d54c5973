// The Workers AI provider: the `AI` binding's text generation, with a timeout and one retry.
import { type ChatMessage, type Completion, LlmError, type LlmPort } from "../../shared/ai/llm-port";

/** The part of the `AI` binding this uses (declared here: the binding is optional in wrangler.toml). */
export interface AiBinding {
  run(model: string, input: { messages: ChatMessage[]; max_tokens?: number }): Promise<unknown>;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LlmError(`Workers AI gave no answer within ${ms} ms`, true)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function workersAiProvider(ai: AiBinding, config: { model: string; timeoutMs: number }): LlmPort {
  async function once(messages: ChatMessage[], maxTokens: number): Promise<Completion> {
    let out: unknown;
    try {
      out = await withTimeout(ai.run(config.model, { messages, max_tokens: maxTokens }), config.timeoutMs);
    } catch (err) {
      if (err instanceof LlmError) throw err;
      // The binding does not tell a bad request from an outage; treat its errors as transient.
      throw new LlmError(`Workers AI failed: ${(err as Error).message}`, true, { cause: err });
    }
    const text = (out as { response?: unknown } | null)?.response;
    if (typeof text !== "string") throw new LlmError("Workers AI sent no response text", true);
    return { text, model: config.model };
  }
  return {
    model: config.model,
    async complete(messages, options = {}) {
      const maxTokens = options.maxTokens ?? 800;
      try {
        return await once(messages, maxTokens);
      } catch (err) {
        if (!(err instanceof LlmError) || !err.transient) throw err;
        return once(messages, maxTokens);
      }
    },
  };
}
