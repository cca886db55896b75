/**
 * How the single executable starts the CLI bundle. Shared by the executable's own main script (sea-loader.ts) and
 * the build-time training run (code-cache-train.ts): V8 accepts a code cache only for the very same source text.
 *
 * Why not Node's own `useCodeCache`: that cache is made without running anything, so it holds the top-level code
 * only, and every function start-up calls is still parsed and compiled at each start. A cache taken after a real
 * `--help` run holds those functions too.
 */

/** SEA asset keys. */
export const BUNDLE_ASSET = 'main.js'
export const CACHE_ASSET = 'main.cache'

/** The bundle as a function of the CommonJS module scope it expects. */
export const wrapBundle = (source: string): string => `(function (exports, require, module, __filename, __dirname) {${source}\n})`

/** Command lines the training run goes through; their start-up code lands in the cache. */
export const TRAINING_RUNS: readonly (readonly string[])[] = [['--help'], ['check', '--help'], ['--version']]
