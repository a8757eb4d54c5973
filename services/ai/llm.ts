// The configured language model behind the isolate's circuit breaker: what AI routes call.
import { type LlmVars, readLlmConfig } from "../../shared/ai/llm-config";
import {
  type ChatMessage,
  type Completion,
  LlmError,
  type LlmPort,
  LlmUnavailableError,
} from "../../shared/ai/llm-port";
import { BreakerOpenError } from "../../shared/resilience/circuit-breaker";
import { llmBreaker } from "../resilience/breakers";
import { openAiProvider } from "./openai-provider";
import { type AiBinding, workersAiProvider } from "./workers-ai-provider";

export type LlmEnv = LlmVars & { AI?: AiBinding };

/** The provider the vars name, or why there is none. */
function provider(env: LlmEnv): LlmPort | string {
  const config = readLlmConfig(env);
  if (config.provider === "none") return config.reason;
  if (config.provider === "workers-ai") {
    if (!env.AI) return 'LLM_PROVIDER is workers-ai but the Worker has no "AI" binding';
    return workersAiProvider(env.AI, config);
  }
  return openAiProvider(config);
}

/** The model as the AI features use it: every call through the breaker; failures become LlmUnavailableError. */
export interface GuardedLlm {
  /** The model's name, or null when none is configured. */
  readonly model: string | null;
  complete(messages: ChatMessage[], options?: { maxTokens?: number }): Promise<Completion>;
}

export function languageModel(env: LlmEnv): GuardedLlm {
  const port = provider(env);
  if (typeof port === "string") {
    return {
      model: null,
      complete: () => Promise.reject(new LlmUnavailableError(port, 60)),
    };
  }
  const breaker = llmBreaker();
  return {
    model: port.model,
    async complete(messages, options) {
      try {
        // A 4xx for our own request says nothing about the model's health: it does not open the breaker.
        return await breaker.call(
          () => port.complete(messages, options),
          (err) => !(err instanceof LlmError) || err.transient,
        );
      } catch (err) {
        if (err instanceof BreakerOpenError) {
          throw new LlmUnavailableError("the language model's circuit breaker is open", err.retryAfterSeconds, {
            cause: err,
          });
        }
        throw new LlmUnavailableError((err as Error).message, 30, { cause: err });
      }
    },
  };
}
