// The language-model port: what the AI features need from a model, whichever provider answers.

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface Completion {
  text: string;
  /** The model that answered, as the provider names it. */
  model: string;
}

/** One provider: an OpenAI-compatible API or Workers AI. */
export interface LlmPort {
  /** The configured model name (before any call). */
  readonly model: string;
  complete(messages: ChatMessage[], options?: { maxTokens?: number }): Promise<Completion>;
}

/**
 * Why the model could not answer. `transient` failures (timeouts, connection errors, 429, 5xx) are
 * retried once and count against the circuit breaker; others (a 400 for our request) do neither.
 */
export class LlmError extends Error {
  readonly transient: boolean;
  constructor(message: string, transient: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LlmError";
    this.transient = transient;
  }
}

/** The model is not configured, unreachable, or its breaker is open: callers answer 503 llm_unavailable. */
export class LlmUnavailableError extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LlmUnavailableError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
