import type {Inventory} from '../../gather/platform-list.js'

/** Why some of an inventory could not be seen (each missing permission once); empty when everything was read. */
export function inventoryGaps(inventory: Inventory<unknown>, kind: string): string[] {
  const gaps = inventory.unreadable.map((u) => u.reason)
  if (inventory.clusterWideDenied !== undefined) {
    gaps.unshift(`${inventory.clusterWideDenied}, so ${kind} were read only in ${inventory.searched.join(', ') || 'no namespace'}, one namespace at a time`)
  }
  return gaps
}

/** Why one namespace of an inventory could not be seen, or undefined when it was read. */
export function namespaceGap(inventory: Inventory<unknown>, namespace: string): string | undefined {
  const refused = inventory.unreadable.find((u) => u.namespace === namespace)
  if (refused) return refused.reason
  if (inventory.clusterWideDenied !== undefined && !inventory.searched.includes(namespace))
    return `namespace ${namespace} was not searched (${inventory.clusterWideDenied})`
  return undefined
}
