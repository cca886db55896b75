/** `4.18.0-147.5.1.el8_1.x86_64` → [4, 18, 0]; undefined when the release does not start with a version. */
export function kernelVersion(release: string | undefined): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release ?? '')
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined
}

/** Compares a kernel release with a `major.minor` floor; undefined when the release is not a version. */
export function compareKernel(release: string | undefined, floor: string): number | undefined {
  const a = kernelVersion(release)
  const b = kernelVersion(floor)
  if (!a || !b) return undefined
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/** `nftables v1.0.9 (Old Doc Yak #3)` → `1.0.9`. */
export function toolVersion(versionLine: string | undefined): string | undefined {
  return /v?(\d+\.\d+(?:\.\d+)?)/.exec(versionLine ?? '')?.[1]
}
