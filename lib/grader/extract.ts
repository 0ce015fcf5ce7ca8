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
  const exportEntries =
    `\nexport const ${ENTRIES} = {` +
    entries.map((e) => `${JSON.stringify(e)}: typeof ${e} === "undefined" ? undefined : ${e}`).join(", ") +
    "};\n";
  const out = ts.transpileModule(`${setup}\n${cellSource}\n${exportEntries}`, { compilerOptions, fileName: "exercise.ts" });
  return { code: out.outputText, errors: [] };
}
