// Runs before anything else in every npm script a user runs (demo, test, examples, bench) and
// first in the `cadre` bin: on a Node.js too old for Cadre it says what to install and exits 2,
// instead of failing later with ERR_UNKNOWN_FILE_EXTENSION and a stack trace.
// Plain ES5 in CommonJS, so that it parses and runs on any Node.js.
// CADRE_CHECK_NODE_VERSION=20.11.1 pretends to be that version (to test this check).
"use strict";

var version = process.env.CADRE_CHECK_NODE_VERSION || process.versions.node;
var parts = String(version).replace(/^v/, "").split(".");
var major = Number(parts[0]);
var minor = Number(parts[1]);

// Node 22.18 and 23.6 are the first releases that load .ts files by type stripping without a flag.
var supported = major >= 24 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);

if (!supported) {
  process.stderr.write(
    "Cadre needs Node.js >= 22.18 (Node 24 LTS recommended); this is Node.js " + version + ".\n" +
      "Install Node 24, then run the command again:\n" +
      "  npm install -g --prefix /usr/local node@24\n"
  );
  process.exit(2);
}
