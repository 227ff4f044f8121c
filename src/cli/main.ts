#!/usr/bin/env node
import { enableCompileCache } from "node:module";

// Node keeps the compiled code of every module it loads on disk (in the OS temp directory), so
// later invocations skip most parsing and compiling: the CLI starts in about half the time.
// Set NODE_DISABLE_COMPILE_CACHE=1 to turn it off.
enableCompileCache();
await import("./program.ts");
