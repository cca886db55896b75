import {describe, expect, it} from 'vitest'
import {neededForLabel} from '../../src/render/views/nodes.js'
import type {NodesSetup} from '../../src/gather/nodes.js'

const setup: NodesSetup = {
  istioVersion: '1.29',
  modes: ['sidecar', 'ambient'],
  backends: ['iptables', 'nftables'],
  ipFamilies: 'ipv4',
  ipFamiliesSource: '--ip-families',
  dnsCapture: {sidecar: false, ambient: true},
  interception: 'redirect',
  functional: false,
}

describe('the NEEDED FOR column of the -o wide evidence table', () => {
  it.each([
    ['every set-up', ['sidecar/ipt-nft', 'sidecar/ipt-legacy', 'sidecar/nft', 'ambient/ipt-nft', 'ambient/ipt-legacy', 'ambient/nft'], 'all'],
    ['both iptables paths in both modes', ['sidecar/ipt-nft', 'sidecar/ipt-legacy', 'ambient/ipt-nft', 'ambient/ipt-legacy'], 'iptables'],
    [
      'both iptables paths, one only as a warning',
      ['sidecar/ipt-nft', 'sidecar/ipt-legacy (warn)', 'ambient/ipt-nft', 'ambient/ipt-legacy (warn)'],
      'iptables',
    ],
    ['warnings only', ['sidecar/ipt-nft (warn)', 'sidecar/ipt-legacy (warn)', 'ambient/ipt-nft (warn)', 'ambient/ipt-legacy (warn)'], 'iptables (warn)'],
    ['one path', ['ambient/ipt-legacy'], 'ambient: ipt-legacy'],
    ['different per mode', ['sidecar/nft', 'ambient/ipt-nft', 'ambient/nft'], 'sidecar: nft; ambient: ipt-nft + nft'],
  ])('%s → %s', (_name, neededFor, expected) => expect(neededForLabel(neededFor, setup)).toBe(expected))
})
