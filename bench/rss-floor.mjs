// The floor under the fan-out's peak RSS (bench/rss-probe.mjs): the resident set of a fresh
// node process after importing nothing ("node"), zod ("zod", which the caller's own schemas
// need anyway) or zod and the whole cadre package ("cadre"), one process per figure.
const stage = process.argv[2];
if (stage === "zod" || stage === "cadre") await import("zod");
if (stage === "cadre") await import("../dist/index.js");
process.stdout.write(String(process.memoryUsage().rss));
