/* global module */
// The dependency rule (docs/ARCHITECTURE.md), checked by `npm run lint`: no circular imports in any
// of the four code bases (type-only imports included), the server's kernel imports no context, a
// context reaches another only through its index.ts, and the SIP engine never imports the server.
// Violations that existed when the rule came in are listed in .dependency-cruiser-known-violations.json
// (they are being removed, #14); anything new fails the lint.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A circle of imports: the files cannot be understood, tested or changed one at a time.',
      severity: 'error',
      from: { path: '^(server|sip|widget|agent-ui)/src/' },
      to: { circular: true },
    },
    {
      name: 'kernel-imports-no-context',
      comment: 'server/src/kernel is what every context stands on; it names no context (contexts plug in through its interfaces).',
      severity: 'error',
      from: { path: '^server/src/kernel/', pathNot: '\\.test\\.ts$' },
      to: { path: '^server/src/(modules/|test/|[^/]+\\.ts$)' },
    },
    {
      name: 'context-through-index',
      comment: "A context uses another only through that context's index.ts.",
      severity: 'error',
      from: { path: '^server/src/modules/([^/]+)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^server/src/modules/', pathNot: ['^server/src/modules/$1/', '^server/src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'sip-never-imports-server',
      comment: 'The SIP engine is a library the server uses, never the other way round (by path or by package name).',
      severity: 'error',
      from: { path: '^sip/' },
      to: { path: '^(server/|@switchboard/server($|/))' },
    },
  ],
  options: {
    // Built output is a node (so `@switchboard/server`, which resolves to server/dist, is seen by the
    // rules) but is not followed; excluding it would hide such an import altogether.
    doNotFollow: { path: '(^|/)(dist|node_modules)/' },
    exclude: { path: '(^|/)\\.angular/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.d.ts'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
