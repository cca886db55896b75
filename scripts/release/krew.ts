/** Step 5: krew-manifest.yaml from the plugin.yaml template and the archives just built. */
import {isSeq, parseDocument, visit} from 'yaml'

export interface BuiltArchive {
  uri: string
  sha256: string
}

const PLACEHOLDER = /\{\{\s*(version|uri|sha256)(?:\s+([a-z]+\/[a-z0-9]+))?\s*\}\}/g

/** The targets (`os/arch`) a template node's placeholders name. */
function placeholderTargets(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[2]).filter((t): t is string => t !== undefined)
}

/**
 * Fills in the template. Every platform's placeholders must name a built archive, unless `partial` (a build of some
 * targets only, as the tests do): then platforms whose archive was not built are left out.
 */
export function renderKrewManifest(template: string, version: string, built: ReadonlyMap<string, BuiltArchive>, {partial = false} = {}): string {
  // The template's own header explains the placeholders; the rendered file says where it comes from instead.
  const doc = parseDocument(template.replace(/^(#.*\n)+/, ''))
  if (doc.errors.length > 0) throw new Error(`plugin.yaml: ${doc.errors[0]!.message}`)
  const platforms = doc.getIn(['spec', 'platforms'])
  if (!isSeq(platforms)) throw new Error('plugin.yaml: spec.platforms must be a list')

  const templated = new Set<string>()
  platforms.items = platforms.items.filter((platform) => {
    const targets = new Set(placeholderTargets(JSON.stringify(platform)))
    if (targets.size !== 1)
      throw new Error(`plugin.yaml: each platform must use the placeholders of exactly one target, found: ${[...targets].join(', ') || 'none'}`)
    const target = [...targets][0]!
    templated.add(target)
    if (built.has(target)) return true
    if (partial) return false
    throw new Error(`plugin.yaml names ${target}, which was not built`)
  })
  const untemplated = [...built.keys()].filter((t) => !templated.has(t))
  if (untemplated.length > 0) throw new Error(`built ${untemplated.join(', ')} but plugin.yaml has no platform for it`)

  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value !== 'string') return
      node.value = node.value.replace(PLACEHOLDER, (_match, kind: string, target?: string) => {
        if (kind === 'version') return version
        const archive = built.get(target ?? '')
        if (archive === undefined) throw new Error(`plugin.yaml: {{${kind}}} needs a target such as {{${kind} linux/amd64}}`)
        return kind === 'uri' ? archive.uri : archive.sha256
      })
    },
  })
  const header = `# Rendered from plugin.yaml by \`npm run release\` for v${version}; do not edit (docs/release.md).\n`
  return header + doc.toString({lineWidth: 0, flowCollectionPadding: false})
}

/** Sanity check used by the build: nothing is left to fill in. */
export function unfilledPlaceholders(manifest: string): string[] {
  return [...manifest.matchAll(PLACEHOLDER)].map((m) => m[0])
}
