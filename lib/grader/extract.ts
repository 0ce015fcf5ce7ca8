/**
 * What runs in the sandbox for one exercise: the student's exercise cell, preceded by only those top-level
 * statements of the notebook's earlier locked cells that the cell refers to (imports, functions, types and
 * constants without calls), taken from the trusted course copy, never from the submission. Training loops,
 * plots and anything with a call or an await at top level are never included.
 */
import * as ts from "typescript";

const ENTRIES = "__mbrl_entries__";

function identifiersIn(node: ts.Node, out: Set<string>): void {
  const visit = (n: ts.Node) => {
    if (ts.isIdentifier(n)) out.add(n.text);
    n.forEachChild(visit);
  };
  visit(node);
}

/** True when evaluating the node at top level calls nothing (function bodies do not run). */
function isInert(node: ts.Node): boolean {
  let inert = true;
  const visit = (n: ts.Node) => {
    if (!inert) return;
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (
      ts.isCallExpression(n) ||
      ts.isNewExpression(n) ||
      ts.isAwaitExpression(n) ||
      ts.isTaggedTemplateExpression(n) ||
      ts.isYieldExpression(n)
    ) {
      inert = false;
      return;
    }
    n.forEachChild(visit);
  };
  node.forEachChild(visit);
  return inert;
}

interface Candidate {
  names: string[];
  text: string;
  node: ts.Statement;
}

function declaredNames(st: ts.Statement): string[] | null {
  if (ts.isImportDeclaration(st)) {
    const names: string[] = [];
    const cl = st.importClause;
    if (!cl) return null; // side-effect import: not needed for a pure function
    if (cl.name) names.push(cl.name.text);
    const nb = cl.namedBindings;
    if (nb && ts.isNamespaceImport(nb)) names.push(nb.name.text);
    if (nb && ts.isNamedImports(nb)) for (const e of nb.elements) names.push(e.name.text);
    return names;
  }
  if (
    (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) ||
      ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) &&
    st.name
  ) {
    if (ts.isClassDeclaration(st) && !isInert(st)) return null;
    return [st.name.text];
  }
  if (ts.isVariableStatement(st)) {
    const names: string[] = [];
    for (const d of st.declarationList.declarations) {
      if (!ts.isIdentifier(d.name)) return null;
      if (d.initializer && !isInert(d)) return null;
      names.push(d.name.text);
    }
    return names;
  }
  return null;
}

/** The statements of `setupSources` (in order) that `cellSource` needs, transitively. */
export function neededSetup(setupSources: string[], cellSource: string): string {
  const candidates: Candidate[] = [];
  setupSources.forEach((src, k) => {
    const sf = ts.createSourceFile(`setup-${k}.ts`, src, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    for (const st of sf.statements) {
      const names = declaredNames(st);
      if (names && names.length) candidates.push({ names, text: st.getText(sf), node: st });
    }
  });
  const wanted = new Set<string>();
  identifiersIn(ts.createSourceFile("cell.ts", cellSource, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS), wanted);
  const chosen = new Set<Candidate>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const c of candidates) {
      if (chosen.has(c) || !c.names.some((n) => wanted.has(n))) continue;
      chosen.add(c);
      identifiersIn(c.node, wanted);
      grew = true;
    }
  }
  return candidates.filter((c) => chosen.has(c)).map((c) => c.text).join("\n");
}

export interface CompiledExercise {
  code: string;
  /** Syntax errors of the student's cell, with cell line numbers; empty when it compiles. */
  errors: string[];
}

const compilerOptions: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  isolatedModules: true,
};

/** Transpiles setup + cell to CommonJS that exports the entry functions under one hidden name. */
export function compileExercise(setup: string, cellSource: string, entries: string[]): CompiledExercise {
  const check = ts.transpileModule(cellSource, { compilerOptions, reportDiagnostics: true, fileName: "exercise.ts" });
  const errors = (check.diagnostics ?? []).map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `line ${line + 1}, column ${character + 1}: ${msg}`;
    }
    return msg;
  });
  if (errors.length) return { code: "", errors };
  const exportEntries = `\n${exportsLine(entries)}`;
  const out = ts.transpileModule(`${setup}\n${cellSource}\n${exportEntries}`, { compilerOptions, fileName: "exercise.ts" });
  return { code: out.outputText, errors: [] };
}

/** Every name any top-level statement of the setup declares (also those `neededSetup` leaves out). */
export function allDeclaredNames(setupSources: string[]): Set<string> {
  const out = new Set<string>();
  setupSources.forEach((src, k) => {
    const sf = ts.createSourceFile(`setup-${k}.ts`, src, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
    for (const st of sf.statements) {
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) identifiersIn(d.name, out);
      } else if (ts.isImportDeclaration(st) && st.importClause) {
        identifiersIn(st.importClause, out);
      } else if ("name" in st && st.name && ts.isIdentifier(st.name as ts.Node)) {
        out.add((st.name as ts.Identifier).text);
      }
    }
  });
  return out;
}

/** One exercise to compile: the trusted notebook's earlier cells, the student's cell, the graded names. */
export interface CompileRequest {
  setupSources: string[];
  cell: string;
  entries: string[];
}

export interface CompileResult extends CompiledExercise {
  /** Type errors inside the student's cell, as the notebook shows them: "line N: message". */
  typeErrors: string[];
}

/** Compiler options close to tslab's (the notebook kernel): ES2022, not strict, Node's types. */
function checkOptions(root: string): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    resolveJsonModule: true,
    skipLibCheck: true,
    types: ["node"],
    typeRoots: [`${root}/node_modules/@types`],
    noEmit: true,
  };
}

/**
 * Type-checks many exercises in one TypeScript program (its cost is mostly setting up the library's and
 * Node's declarations, so a batch pays it once), reusing parsed declaration files between calls.
 */
export class TypeChecker {
  private readonly files = new Map<string, ts.SourceFile>();
  private readonly memo = new Map<string, unknown>();
  private old: ts.Program | undefined;
  private readonly options: ts.CompilerOptions;
  private readonly base: ts.CompilerHost;
  constructor(private readonly root: string) {
    this.options = checkOptions(root);
    this.base = ts.createCompilerHost(this.options);
  }
  private cached<T>(kind: string, f: (s: string) => T): (s: string) => T {
    return (s) => {
      const k = `${kind}\0${s}`;
      if (!this.memo.has(k)) this.memo.set(k, f(s));
      return this.memo.get(k) as T;
    };
  }

  /** Type errors of each request's cell (requests whose cell does not even parse get none here). */
  check(reqs: { text: string; cellStart: number; cellEnd: number; cellLine: number; skipNames: Set<string> }[]): string[][] {
    const dir = `${this.root}/notebooks`;
    const virtual = new Map(reqs.map((r, i) => [`${dir}/__graded_exercise_${i}__.ts`, r.text]));
    const base = this.base;
    const host: ts.CompilerHost = {
      ...base,
      getSourceFile: (f, lang) => {
        const text = virtual.get(f);
        if (text !== undefined) return ts.createSourceFile(f, text, lang, false, ts.ScriptKind.TS);
        let s = this.files.get(f);
        if (!s) {
          s = base.getSourceFile(f, lang);
          if (s) this.files.set(f, s);
        }
        return s;
      },
      fileExists: (f) => virtual.has(f) || this.cached("fe", (x) => base.fileExists(x))(f),
      readFile: (f) => virtual.get(f) ?? base.readFile(f),
      directoryExists: this.cached("de", (x) => base.directoryExists?.(x) ?? ts.sys.directoryExists(x)),
      realpath: this.cached("rp", (x) => base.realpath?.(x) ?? x),
      getDirectories: this.cached("gd", (x) => base.getDirectories?.(x) ?? []),
    };
    const program = ts.createProgram([...virtual.keys()], this.options, host, this.old);
    this.old = program;
    return [...virtual.keys()].map((f, i) => {
      const r = reqs[i];
      const sf = program.getSourceFile(f)!;
      const out: string[] = [];
      for (const d of program.getSemanticDiagnostics(sf)) {
        if (d.category !== ts.DiagnosticCategory.Error || d.start === undefined || d.start < r.cellStart || d.start >= r.cellEnd) continue;
        if ((d.code === 2304 || d.code === 2552) && r.skipNames.has(r.text.slice(d.start, d.start + (d.length ?? 0)))) continue;
        const { line, character } = sf.getLineAndCharacterOfPosition(d.start);
        out.push(`line ${line - r.cellLine + 1}, column ${character + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
      }
      return out;
    });
  }
}

/** Compiles a batch of exercises and, with a checker, type-checks them together. */
export function compileBatch(reqs: CompileRequest[], checker: TypeChecker | null): CompileResult[] {
  const out: CompileResult[] = reqs.map((r) => {
    const setup = neededSetup(r.setupSources, r.cell);
    return { ...compileExercise(setup, r.cell, r.entries), typeErrors: [] };
  });
  if (!checker) return out;
  const todo: number[] = [];
  const inputs = reqs.flatMap((r, i) => {
    if (out[i].errors.length) return [];
    todo.push(i);
    const setup = neededSetup(r.setupSources, r.cell);
    const head = `${setup}\n`;
    const cellLine = head.split("\n").length - 1;
    const text = `${head}${r.cell}\n${exportsLine(r.entries)}`;
    return [{ text, cellStart: head.length, cellEnd: head.length + r.cell.length, cellLine, skipNames: allDeclaredNames(r.setupSources) }];
  });
  if (!inputs.length) return out;
  const found = checker.check(inputs);
  todo.forEach((i, k) => (out[i].typeErrors = found[k]));
  return out;
}

function exportsLine(entries: string[]): string {
  return (
    `export const ${ENTRIES} = {` +
    entries.map((e) => `${JSON.stringify(e)}: typeof ${e} === "undefined" ? undefined : ${e}`).join(", ") +
    "};\n"
  );
}
