#!/usr/bin/env node
// Converts the notebooks' percent-format sources (notebooks/src/NN-name.ts) into the committed
// Jupyter notebooks (notebooks/NN-name.ipynb, nbformat 4.5, outputs cleared).
//
//   // %% [markdown]          a markdown cell; each line's leading "// " is stripped
//   // %%                     a code cell
//   // %% exercise id=ID points=N   the student's cell (nbgrader solution cell)
//   // %% check id=ID         the visible checks of exercise ID (nbgrader graded test cell)
//
// Usage: node scripts/nbsrc.mjs [--check] [files...]   (--check: fail if a committed notebook is stale)
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = path.join(root, "notebooks", "src");
const outDir = path.join(root, "notebooks");

export const KERNELSPEC = { name: "tslab", display_name: "TypeScript (MBRL course)", language: "typescript" };
export const LANGUAGE_INFO = {
  name: "typescript",
  version: "5.0.4",
  mimetype: "text/typescript",
  file_extension: ".ts",
  codemirror_mode: { name: "javascript", typescript: true },
};

function parseHeader(line, file, lineNo) {
  const rest = line.slice(5).trim();
  if (rest === "") return { kind: "code" };
  if (rest === "[markdown]") return { kind: "markdown" };
  const m = /^(exercise|check)\s+(.*)$/.exec(rest);
  if (!m) throw new Error(`${file}:${lineNo}: unknown cell header "${line}"`);
  const opts = {};
  for (const kv of m[2].trim().split(/\s+/)) {
    const [k, v] = kv.split("=");
    if (!k || v === undefined) throw new Error(`${file}:${lineNo}: expected key=value in "${line}"`);
    opts[k] = v;
  }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(opts.id ?? "")) {
    throw new Error(`${file}:${lineNo}: ${m[1]} cell needs id=<lowercase-dashed-id>`);
  }
  if (m[1] === "exercise") {
    const points = Number(opts.points);
    if (!Number.isFinite(points) || points <= 0) throw new Error(`${file}:${lineNo}: exercise needs points=<positive number>`);
    return { kind: "exercise", id: opts.id, points };
  }
  return { kind: "check", id: opts.id };
}

function trimBlank(lines) {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a].trim() === "") a++;
  while (b > a && lines[b - 1].trim() === "") b--;
  return lines.slice(a, b);
}

function toSource(lines) {
  return lines.map((l, i) => (i < lines.length - 1 ? l + "\n" : l));
}

/** Parses one percent-format source into an nbformat 4.5 notebook object. */
export function convert(text, file) {
  const stem = path.basename(file, ".ts");
  const raw = text.replace(/\r\n/g, "\n").split("\n");
  const blocks = [];
  let cur = null;
  raw.forEach((line, i) => {
    if (line.startsWith("// %%")) {
      cur = { header: parseHeader(line, file, i + 1), lines: [] };
      blocks.push(cur);
    } else if (cur) {
      cur.lines.push(line);
    } else if (line.trim() !== "" && !line.startsWith("//")) {
      throw new Error(`${file}:${i + 1}: code before the first "// %%" cell header`);
    }
  });
  const exercises = new Map();
  const cells = blocks.map((b, index) => {
    const h = b.header;
    const id = `${h.kind === "markdown" ? "md" : "code"}-${crypto.createHash("sha1").update(`${stem}:${index}`).digest("hex").slice(0, 10)}`;
    if (h.kind === "markdown") {
      const lines = trimBlank(b.lines).map((l) => (l.startsWith("// ") ? l.slice(3) : l.startsWith("//") ? l.slice(2) : l));
      return { cell_type: "markdown", id, metadata: {}, source: toSource(lines) };
    }
    const lines = trimBlank(b.lines);
    const nbgrader = { schema_version: 3, solution: false, grade: false, locked: true, task: false, grade_id: `cell-${id.slice(5)}` };
    const metadata = {};
    if (h.kind === "exercise") {
      const body = lines.join("\n");
      if (!body.includes("BEGIN SOLUTION") || !body.includes("END SOLUTION")) {
        throw new Error(`${file}: exercise ${h.id} has no BEGIN SOLUTION / END SOLUTION markers`);
      }
      if (exercises.has(h.id)) throw new Error(`${file}: exercise ${h.id} appears twice`);
      exercises.set(h.id, h.points);
      Object.assign(nbgrader, { grade_id: h.id, solution: true, locked: false });
      metadata.mbrl = { exercise: h.id, points: h.points };
    } else if (h.kind === "check") {
      const points = exercises.get(h.id);
      if (points === undefined) throw new Error(`${file}: check ${h.id} comes before (or without) its exercise`);
      Object.assign(nbgrader, { grade_id: `${h.id}-check`, grade: true, points });
      metadata.mbrl = { check: h.id };
    }
    metadata.nbgrader = nbgrader;
    return { cell_type: "code", execution_count: null, id, metadata, outputs: [], source: toSource(lines) };
  });
  return {
    cells,
    metadata: { kernelspec: KERNELSPEC, language_info: LANGUAGE_INFO },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

export function serialise(nb) {
  return JSON.stringify(nb, null, 1) + "\n";
}

function main() {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  let files = args.filter((a) => !a.startsWith("--"));
  if (files.length === 0) {
    files = fs.existsSync(srcDir)
      ? fs
          .readdirSync(srcDir)
          .filter((f) => f.endsWith(".ts"))
          .sort()
          .map((f) => path.join(srcDir, f))
      : [];
  }
  const stale = [];
  for (const f of files) {
    const out = path.join(outDir, path.basename(f, ".ts") + ".ipynb");
    const text = serialise(convert(fs.readFileSync(f, "utf8"), path.relative(root, f)));
    if (check) {
      if (!fs.existsSync(out) || fs.readFileSync(out, "utf8") !== text) stale.push(path.relative(root, out));
    } else {
      fs.writeFileSync(out, text);
      console.log(`[notebooks] ${path.relative(root, f)} -> ${path.relative(root, out)}`);
    }
  }
  if (check && stale.length) {
    console.error(`[notebooks] out of date with notebooks/src (run npm run notebooks): ${stale.join(", ")}`);
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`[notebooks] ${e.message}`);
    process.exit(1);
  }
}
