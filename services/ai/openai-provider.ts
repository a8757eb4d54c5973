// The OpenAI-compatible provider: chat completions through the `openai` package, one retry built in.
import OpenAI from "openai";
import { type ChatMessage, type Completion, LlmError, type LlmPort } from "../../shared/ai/llm-port";

/** Connection failures, timeouts, 408/409/429 and 5xx are worth one more try; a 4xx for our request is not. */
function isTransient(err: unknown): boolean {
  if (err instanceof OpenAI.APIConnectionError) return true;
  if (err instanceof OpenAI.APIError && typeof err.status === "number") {
    return err.status === 408 || err.status === 409 || err.status === 429 || err.status >= 500;
  }
  return false;
}

export function openAiProvider(config: { baseUrl: string; model: string; apiKey: string; timeoutMs: number }): LlmPort {
  const client = new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseUrl,
    timeout: config.timeoutMs,
    // The client's own retry: exactly once, on the transient failures above, honouring Retry-After.
    maxRetries: 1,
    // Runs server-side in a Worker; the key never reaches a browser.
    dangerouslyAllowBrowser: true,
  });
  return {
    model: config.model,
    async complete(messages: ChatMessage[], options = {}): Promise<Completion> {
      try {
        const reply = await client.chat.completions.create({
          model: config.model,
          messages,
          temperature: 0,
          max_tokens: options.maxTokens ?? 800,
        });
        const text = reply.choices[0]?.message?.content;
        if (typeof text !== "string") throw new LlmError("the model sent no message content", true);
        return { text, model: reply.model || config.model };
      } catch (err) {
        if (err instanceof LlmError) throw err;
        const status = err instanceof OpenAI.APIError && err.status ? ` (HTTP ${err.status})` : "";
        throw new LlmError(`the language model failed${status}: ${(err as Error).message}`, isTransient(err), {
          cause: err,
        });
      }
    },
  };
}
