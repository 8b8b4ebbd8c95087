// Checks Mermaid diagram text with Mermaid's own parser: the npm package `mermaid`,
// pinned in package.json, whose `mermaid.parse()` is what renderers run before drawing.
// Needs no network and no browser once this is done:
//
//   npm ci --prefix .ci/mermaid --no-audit --no-fund
//   node .ci/mermaid/validate.mjs FILE...      (`-` reads standard input)
//
// Prints `FILE: ok (TYPE)` with the detected diagram type (`flowchart-v2` for a
// `flowchart` or `graph` diagram) or `FILE: MESSAGE` with Mermaid's error, and exits 1
// if any input is not valid Mermaid, 2 when no file is given or a file cannot be read.
//
// Why jsdom: parsing a flowchart runs Mermaid's label sanitizer, DOMPurify, which in
// Node has no `window` and so lacks `sanitize`/`addHook` ("DOMPurify.addHook is not a
// function"). A stub DOMPurify would also parse, but only by patching the instance that
// mermaid's bundle shares with us; a real jsdom window lets Mermaid run unchanged, as in
// a browser, for a few MB more. Only `globalThis.window` is set, before mermaid (and so
// dompurify) is first imported, since DOMPurify binds to `window` when it loads.
// mermaid 12 declares Node >= 22.12; the machine's Node is 20, so mermaid stays on 11.
//
// Only parsing is checked: no layout or rendering, so a diagram that parses can still
// fail to draw. Mermaid's parser also enforces `maxEdges` (500 by default) for flowcharts.
import { readFile } from "node:fs/promises";
import { JSDOM } from "jsdom";

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error("usage: node validate.mjs FILE... (`-` for standard input)");
  process.exit(2);
}

globalThis.window = new JSDOM("").window;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, logLevel: "fatal" });

let stdin;
async function readStdin() {
  if (stdin === undefined) {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    stdin = Buffer.concat(chunks).toString("utf8");
  }
  return stdin;
}

let invalid = 0;
let unreadable = 0;
for (const path of paths) {
  let text;
  try {
    text = path === "-" ? await readStdin() : await readFile(path, "utf8");
  } catch (error) {
    console.log(`${path}: cannot read: ${error.message}`);
    unreadable++;
    continue;
  }
  try {
    const { diagramType } = await mermaid.parse(text, { suppressErrors: false });
    console.log(`${path}: ok (${diagramType})`);
  } catch (error) {
    // Parse errors span lines (source excerpt, caret, expected tokens): indent the
    // continuation lines so that each message stays one block under its file.
    const message = String(error?.message ?? error).trimEnd();
    console.log(`${path}: ${message.replaceAll("\n", "\n    ")}`);
    invalid++;
  }
}
process.exitCode = unreadable > 0 ? 2 : invalid > 0 ? 1 : 0;
