// ESLint (flat config): the recommended rules of ESLint and typescript-eslint, without type-aware
// rules (they would type-check the whole project a second time on every run; `npm run typecheck`
// does that) and without stylistic rules (Prettier owns formatting: `npm run format`).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "dist.*/", "build/", "datasets/", "test/.output/", "tmp/", "**/*.ipynb"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.mjs", "**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: {
        // Node 20 and the browser globals the library and the scripts use.
        process: "readonly", console: "readonly", Buffer: "readonly", __dirname: "readonly", __filename: "readonly",
        require: "readonly", module: "writable", setTimeout: "readonly", clearTimeout: "readonly",
        setInterval: "readonly", clearInterval: "readonly", setImmediate: "readonly", performance: "readonly",
        URL: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", structuredClone: "readonly",
        globalThis: "readonly", queueMicrotask: "readonly", AbortController: "readonly", fetch: "readonly",
        SharedArrayBuffer: "readonly", Atomics: "readonly", WebAssembly: "readonly",
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Unused names are bugs, except the deliberately ignored ones (leading underscore).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // Non-null assertions document invariants the type system cannot see; allowed.
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    // Notebook sources: exercise stubs take arguments the student's code will use, and cells define
    // names to show them.
    files: ["notebooks/src/**/*.ts", "solutions/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-vars": "off" },
  },
  {
    // Tests and their helpers read untyped JSON (kernel messages, DOM, notebook files), load optional
    // packages lazily and strip terminal colour codes.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-require-imports": "off",
      "no-control-regex": "off",
    },
  },
  {
    // The worker bootstrap locates its sources lazily; lib/nn/parallel.ts is being rewritten with the
    // worker code as real modules (issue 17), after which this override should go.
    files: ["lib/nn/parallel.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
