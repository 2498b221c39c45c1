// An esbuild plugin for the web bundles (VS Code for the Web): any import of a Node builtin
// (`fs`, `node:path`, `process`...) is a build error naming the importer, instead of the empty
// module or the shim a bundler may quietly put in its place. A web worker has none of them.
// Used by scripts/build.mjs and by test/unit/webWorker.test.ts.
import { builtinModules } from 'node:module';

const builtins = new Set(builtinModules.map((m) => m.split('/')[0]));

export function isNodeBuiltin(spec) {
  return spec.startsWith('node:') || builtins.has(spec.split('/')[0]);
}

export function noNodeBuiltins() {
  return {
    name: 'no-node-builtins',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!isNodeBuiltin(args.path)) return undefined;
        return { errors: [{ text: `"${args.path}" is a Node builtin: a web worker has none (imported by ${args.importer})` }] };
      });
    },
  };
}
