import { startScriptedOpenAIServer, type ChatRequest, type ScriptedReply } from "cadre/testing";

/**
 * The offline backend: a local OpenAI-compatible server that answers like the models would,
 * from the request itself (the researcher searches, then reports what the tool returned; the
 * writer assembles the findings it was given). Real provider code, real HTTP, no network.
 */
export function startOfflineModel() {
  return startScriptedOpenAIServer({ script: (request) => reply(request) });
}

function reply(request: ChatRequest): ScriptedReply {
  const system = String(request.messages[0]?.content ?? "");
  const user = request.messages.find((message) => message.role === "user");
  const input = JSON.parse(String(user?.content ?? "{}")) as { topic?: string; title?: string; findings?: Array<{ topic: string; findings: string[] }> };
  if (system.startsWith("You are a research analyst")) {
    const toolResult = [...request.messages].reverse().find((message) => message.role === "tool");
    if (!toolResult) return { toolCalls: [{ name: "search-notes", arguments: { topic: input.topic } }] };
    const found = JSON.parse(String(toolResult.content)) as { topic: string; notes: string[] };
    return { text: JSON.stringify({ topic: found.topic, findings: found.notes.length ? found.notes : ["No notes were found for this topic."], confidence: found.notes.length ? 0.8 : 0.2 }) };
  }
  const sections = (input.findings ?? []).map((entry) => `## ${entry.topic}\n\n${entry.findings.map((finding) => `- ${finding}`).join("\n")}`);
  return { text: `# ${input.title}\n\n${sections.join("\n\n")}\n\nThese findings come from the team's research notes and were compiled automatically.\n` };
}
