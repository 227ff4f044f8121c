export { startScriptedOpenAIServer } from "./scripted-openai-server.ts";
export type { ScriptedOpenAIServer, ScriptedReply, ScriptedUsage, Script, ChatRequest } from "./scripted-openai-server.ts";
