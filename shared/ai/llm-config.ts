// The language model's configuration from the Worker's vars and secrets (README, "Analytics with AI").

export interface LlmVars {
  LLM_PROVIDER?: string;
  LLM_BASE_URL?: string;
  LLM_MODEL?: string;
  LLM_API_KEY?: string;
  LLM_TIMEOUT_MS?: string;
}

export type LlmConfig =
  | { provider: "openai"; baseUrl: string; model: string; apiKey: string; timeoutMs: number }
  | { provider: "workers-ai"; model: string; timeoutMs: number }
  | { provider: "none"; reason: string };

const OPENAI_URL = "https://api.openai.com/v1";
const DEFAULT_OPENAI_MODEL = "gpt-4o-mini";
const DEFAULT_WORKERS_AI_MODEL = "@cf/meta/llama-3.1-8b-instruct";

/**
 * `LLM_PROVIDER=workers-ai` uses the `AI` binding; otherwise an OpenAI-compatible API at
 * `LLM_BASE_URL` (OpenAI itself when only `LLM_API_KEY` is set). Neither: no model, and the AI
 * routes answer 503 llm_unavailable while insights come back templated.
 */
export function readLlmConfig(vars: LlmVars): LlmConfig {
  const timeoutMs = Number(vars.LLM_TIMEOUT_MS) > 0 ? Number(vars.LLM_TIMEOUT_MS) : 20_000;
  const provider = (vars.LLM_PROVIDER ?? "").trim().toLowerCase();
  if (provider === "workers-ai") {
    return { provider: "workers-ai", model: vars.LLM_MODEL?.trim() || DEFAULT_WORKERS_AI_MODEL, timeoutMs };
  }
  if (provider !== "" && provider !== "openai") {
    return { provider: "none", reason: `LLM_PROVIDER "${provider}" is not openai or workers-ai` };
  }
  const baseUrl = vars.LLM_BASE_URL?.trim() || (vars.LLM_API_KEY ? OPENAI_URL : "");
  if (!baseUrl) return { provider: "none", reason: "no language model is configured (LLM_BASE_URL / LLM_API_KEY)" };
  return {
    provider: "openai",
    baseUrl,
    model: vars.LLM_MODEL?.trim() || DEFAULT_OPENAI_MODEL,
    // Local OpenAI-compatible servers often need no key; the client still wants a string.
    apiKey: vars.LLM_API_KEY || "none",
    timeoutMs,
  };
}
