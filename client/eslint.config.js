// `npm run lint`: ESLint with one job, finding import cycles (import-x/no-cycle) in the app's
// sources and the end-to-end tests. Deliberately small: no stylistic rules (tsc checks the
// types; the code's style is its own). A cycle fails the lint, and so CI.
//
// A cycle of type imports counts too: it costs nothing at run time, but it ties the modules
// together for whoever reads them all the same. import-x/no-cycle skips `import type` and
// `{ type X }` by design, so the parser below hands it every import and re-export as a value
// one (nothing else reads that AST). The way out of a cycle is usually a module of types below
// both (conversation/model.ts, stream/outcome.ts, errorCodes.ts).

import { fileURLToPath } from 'node:url';

import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** typescript-eslint's parser, with type-only imports and re-exports marked as value ones. */
const typesAsValues = {
  meta: { name: 'typescript-eslint-parser-types-as-values' },
  parseForESLint(code, options) {
    const result = tseslint.parser.parseForESLint(code, options);
    for (const node of result.ast.body) {
      if (!('source' in node) || !node.source) continue; // imports and re-exports only
      if ('importKind' in node) node.importKind = 'value';
      if ('exportKind' in node) node.exportKind = 'value';
      for (const specifier of node.specifiers ?? []) {
        if ('importKind' in specifier) specifier.importKind = 'value';
        if ('exportKind' in specifier) specifier.exportKind = 'value';
      }
    }
    return result;
  },
};

export default [
  { ignores: ['dist/**', 'node_modules/**', 'src/generated/**'] },
  {
    files: ['src/**/*.{ts,tsx}', 'e2e/**/*.mjs', 'scripts/**/*.mjs', '*.{js,ts}'],
    languageOptions: {
      parser: typesAsValues,
      ecmaVersion: 2022,
      sourceType: 'module',
    },
    plugins: { 'import-x': importX },
    settings: {
      // Without the TypeScript extensions here, import-x skips every .ts module it reaches;
      // the modules it reaches are parsed with `languageOptions.parser`, the one above.
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: fileURLToPath(new URL('tsconfig.json', import.meta.url)) })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'import-x/no-cycle': 'error',
    },
  },
];
