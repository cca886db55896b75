/**
 * Files the npm package ships beside the code (package.json `files`, e.g. probe/node-probe.sh). The single
 * executable has none on disk: its build (scripts/release/bundle.ts) embeds them, and this hands them out.
 */
declare const MESH_READY_EMBEDDED_FILES: Readonly<Record<string, string>>

/** The embedded copy of a package file (path relative to the package root), or undefined outside the executable. */
export function embeddedFile(relativePath: string): string | undefined {
  return typeof MESH_READY_EMBEDDED_FILES === 'undefined' ? undefined : MESH_READY_EMBEDDED_FILES[relativePath]
}
