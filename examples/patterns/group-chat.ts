/** Group chat: round-robin over agents with a hard round cap and a stop condition. */
import { agent, runExample } from "./shared.ts";

const product = agent("product", ({ transcript }) => (transcript.length > 2 ? "agreed: ship Friday" : "we should ship this week"));
const engineering = agent("engineering", () => "tests pass, fine by me");
await runExample("group chat", { agents: [product, engineering] }, (ctx) => ctx.groupChat({ agents: [product, engineering], topic: "release date", maxRounds: 6, until: (transcript) => transcript.at(-1)!.text.startsWith("agreed") }), (output) => `${output.transcript.length} turns, ${output.finished ? `finished: "${output.transcript.at(-1).text}"` : "hit the cap"}`);
