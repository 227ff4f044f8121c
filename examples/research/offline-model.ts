import { startScriptedOpenAIServer, type ChatRequest, type ScriptedReply } from "cadre/testing";

/**
 * The offline backend: a local OpenAI-compatible server that answers like the models would,
 * from the request itself (the researcher searches, then reports what the tool returned; the
 * writer assembles the findings it was given, with their sources). Real provider code, real
 * HTTP, no network.
 */
export function startOfflineModel() {
  return startScriptedOpenAIServer({ script: (request) => reply(request) });
}

function reply(request: ChatRequest): ScriptedReply {
  const system = String(request.messages[0]?.content ?? "");
  const user = request.messages.find((message) => message.role === "user");
  const input = JSON.parse(String(user?.content ?? "{}")) as { topic?: string; title?: string; findings?: Array<{ topic: string; findings: string[]; sources?: string[] }> };
  if (system.startsWith("You are a research analyst")) {
    const toolResult = [...request.messages].reverse().find((message) => message.role === "tool");
    // Providers see `knowledge.search` as `knowledge_search` (their tool names allow no dots).
    if (!toolResult) return { toolCalls: [{ name: "knowledge_search", arguments: { collection: "energy-notes", query: String(input.topic).replace(/-/g, " ") } }] };
    const found = JSON.parse(String(toolResult.content)) as { hits: Array<{ source: string; text: string }> };
    const findings = found.hits.map((hit) => hit.text.replace(/^#.*$/gm, "").replace(/\s+/g, " ").trim()).filter((text) => text !== "");
    const sources = [...new Set(found.hits.map((hit) => hit.source))];
    return { text: JSON.stringify({ topic: input.topic, findings: findings.length ? findings : ["No notes were found for this topic."], sources, confidence: findings.length ? 0.8 : 0.2 }) };
  }
  const sections = (input.findings ?? []).map((entry) => `## ${entry.topic}\n\n${entry.findings.map((finding) => `- ${finding}`).join("\n")}\n\nSources: ${(entry.sources ?? []).join(", ") || "none"}`);
  return { text: `# ${input.title}\n\n${sections.join("\n\n")}\n\nThese findings come from the team's research notes and were compiled automatically.\n` };
}
