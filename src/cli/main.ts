#!/usr/bin/env node
// First, before anything else is loaded: on a Node.js too old for Cadre, say what to install (exit 2).
import "./check-node.cjs";
// A default import: a named one of an export that old Node lacks would fail before the check runs.
import nodeModule from "node:module";

// Node keeps the compiled code of every module it loads on disk (in the OS temp directory), so
// later invocations skip most parsing and compiling: the CLI starts in about half the time.
// Set NODE_DISABLE_COMPILE_CACHE=1 to turn it off.
nodeModule.enableCompileCache();
await import("./program.ts");
