// The model gateway: the live OpenAI-compatible provider and the offline recorded ones.
export { OpenAIGateway, envNameOf, type DeltaInfo, type OpenAIGatewayOptions } from "./openai.js";
export { RecordedModels, RecordingModels, parseRecordings, type Recording } from "./recorded.js";
export { costOf, estimateTokens, type Usage } from "./cost.js";
export { classify, retryAfterMs } from "./errors.js";
export { parseJsonAnswer } from "./json.js";
export { prepareSchema, unwrap, type JsonSchema, type PreparedSchema, type SchemaValidator } from "./structured.js";
